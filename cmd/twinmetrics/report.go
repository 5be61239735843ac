package main

import (
	"context"
	"fmt"
	"io"

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
	c := p.Counts
	fmt.Fprintf(w, "Rows:     %d: %d new, %d changed, %d unchanged, %d rejected, %d with warnings\n", c.Total, c.New, c.Changed, c.Unchanged, c.Rejected, c.Warned)
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
