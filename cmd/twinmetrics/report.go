package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/locale"
)

// writeReport writes the check of an upload as text: what the preview
// page shows, every rejected row and every warning with its line,
// column and how to fix it. Messages are in English, from the catalogue.
func writeReport(ctx context.Context, u *ingest.Uploader, w io.Writer, p *ingest.Pending) error {
	fmt.Fprintf(w, "File:     %s (%s, %d bytes)\nSHA-256:  %s\nUpload:   %s\n", p.FileName, p.Format, p.Size, p.SHA256, p.Key)
	if p.FileError != nil {
		fmt.Fprintf(w, "\nThe file cannot be read: %s\nHow to fix it: %s\nNothing was changed.\n", locale.English(p.FileError.Message), locale.English(p.FileError.Hint))
		return nil
	}
	if p.Failure != nil {
		fmt.Fprintf(w, "\n%s\n", locale.English(*p.Failure))
		return nil
	}
	if ra := p.ReadAs; ra != nil {
		how := "its header matches"
		if !ra.Detected {
			how = "as asked"
		}
		fmt.Fprintf(w, "Read as:  %s (profile %s, version %d; %s)\n", ra.Title, ra.Profile, ra.Version, how)
		if ra.Sheet != "" {
			fmt.Fprintf(w, "Sheet:    %s", ra.Sheet)
			if len(ra.OtherSheets) > 0 {
				fmt.Fprintf(w, " (not read: %s)", strings.Join(ra.OtherSheets, ", "))
			}
			fmt.Fprintln(w)
		}
	}
	c := p.Counts
	fmt.Fprintf(w, "Rows:     %d: %d new, %d changed, %d unchanged, %d rejected, %d with warnings\n", c.Total, c.New, c.Changed, c.Unchanged, c.Rejected, c.Warned)
	if s := p.Skips; s != nil {
		fmt.Fprintf(w, "Read:     %d lines; %d values skipped: %d not in the catalogue (%d places), %d indicators not mapped, %d filtered; %d empty or notation-key cells\n",
			c.Lines, c.Skipped, s.NotInCatalogue, len(s.Areas), s.NotMapped, s.Total()-s.NotInCatalogue-s.NotMapped, s.NoValue)
		for i, a := range s.Areas {
			if i == 10 {
				fmt.Fprintf(w, "  … and %d more places\n", len(s.Areas)-10)
				break
			}
			fmt.Fprintf(w, "  skipped, not in the catalogue: %s (%s), %d value(s) from %s\n", a.Name, a.Country, a.Values, locale.English(p.Where(a.FirstLine)))
		}
		for _, pr := range s.Proposals {
			fmt.Fprintf(w, "  alias proposed: %q (%s) for %s (%s), %d value(s)\n", pr.Name, pr.Country, pr.AreaName, pr.Slug, pr.Values)
		}
		if len(s.NotMappedCodes) > 0 {
			fmt.Fprintf(w, "  indicators not mapped: %s\n", strings.Join(s.NotMappedCodes, ", "))
		}
	}
	if c.Changed > 0 {
		rows, _, err := u.Rows(ctx, p.Key, ingest.RowChanged, false, 0, 20)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nChanged values (first %d of %d):\n", len(rows), c.Changed)
		for _, r := range rows {
			var parts []string
			for _, ch := range r.Changes {
				parts = append(parts, fmt.Sprintf("%s %q → %q", ch.Field, ch.From, ch.To))
			}
			fmt.Fprintf(w, "  %s: %s %s %d: %s\n", locale.English(p.Where(r.Line)), r.AreaName, r.IndicatorCode, r.YearInt, strings.Join(parts, "; "))
		}
	}
	for _, ns := range p.NewSources {
		fmt.Fprintf(w, "New source: %s (%s), described on %s\n", ns.Code, ns.Title, locale.English(p.Where(ns.Line)))
	}
	for _, sec := range []struct {
		title string
		warn  bool
	}{{"Rejected rows", false}, {"Warnings to confirm", true}} {
		status := ingest.RowRejected
		if sec.warn {
			status = ""
		}
		printed := false
		for off := 0; ; off += 1000 {
			rows, _, err := u.Rows(ctx, p.Key, status, sec.warn, off, 1000)
			if err != nil {
				return err
			}
			for _, r := range rows {
				for _, pr := range r.Problems {
					if pr.Warning != sec.warn {
						continue
					}
					if !printed {
						fmt.Fprintf(w, "\n%s:\n", sec.title)
						printed = true
					}
					val := ""
					if pr.Value != "" {
						val = fmt.Sprintf(" (%q)", pr.Value)
					}
					fmt.Fprintf(w, "  %s, column %s%s: %s\n      How to fix: %s\n", locale.English(p.Where(r.Line)), pr.Column, val, locale.English(pr.Message), locale.English(pr.Hint))
				}
			}
			if len(rows) < 1000 {
				break
			}
		}
	}
	return nil
}
