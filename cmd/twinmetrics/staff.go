package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/twinmetrics/twinmetrics/ingest"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// userCommand: user add --email E --role R, the password read from
// standard input (never from a flag, which other users can see).
//
// user disable --email E stops an account (its sessions end, its tokens
// are revoked); user enable --email E lets it sign in again; user logout
// --email E ends its sessions.
func userCommand(ctx context.Context, verb string, st settings, store *metrics.Store, stdin io.Reader, stdout io.Writer) error {
	switch verb {
	case "add":
	case "disable", "enable", "logout":
		if st.email == "" {
			return fmt.Errorf("user %s needs --email", verb)
		}
		u, err := store.UserByEmail(ctx, st.email)
		if err != nil {
			return err
		}
		switch verb {
		case "disable":
			err = store.DisableUser(ctx, u.ID, 0, time.Now())
		case "enable":
			err = store.EnableUser(ctx, u.ID)
		default:
			var n int64
			if n, err = store.EndSessions(ctx, u.ID); err == nil {
				fmt.Fprintf(stdout, "%d sessions of %s ended\n", n, u.Email)
				return nil
			}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%sd %s\n", verb, u.Email)
		return nil
	default:
		return fmt.Errorf("usage: twinmetrics user add --email E --role admin|editor (the password is read from standard input) | user disable|enable|logout --email E")
	}
	if st.email == "" || st.role == "" {
		return errors.New("user add needs --email and --role")
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read the password from standard input: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	u, err := store.AddUser(ctx, st.email, st.role, pw, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s (%s)\n", u.Email, u.Role)
	return nil
}

// tokenCommand: token create --email E [--name N], token list, token
// revoke --id N.
func tokenCommand(ctx context.Context, verb string, st settings, store *metrics.Store, stdout io.Writer) error {
	switch verb {
	case "create":
		if st.email == "" {
			return errors.New("token create needs --email")
		}
		tok, t, err := store.CreateToken(ctx, st.email, st.name, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		fmt.Fprintf(os.Stderr, "token #%d for %s; it is shown only this once. Send it as: Authorization: Bearer <token>\n", t.ID, t.Email)
		return nil
	case "list":
		ts, err := store.ListTokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			state := "active"
			if t.RevokedAt.Valid {
				state = "revoked " + t.RevokedAt.String
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Email, t.Name, t.CreatedAt, state)
		}
		return nil
	case "revoke":
		if st.id == 0 {
			return errors.New("token revoke needs --id")
		}
		if err := store.RevokeToken(ctx, st.id, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token #%d\n", st.id)
		return nil
	}
	return errors.New("usage: twinmetrics token create --email E [--name N] | token list | token revoke --id N")
}

// importCommand checks a file as the upload page does, prints the same
// report and, with --publish, publishes it.
func importCommand(ctx context.Context, file string, st settings, store *metrics.Store, up *ingest.Uploader, stdout io.Writer) error {
	if file == "" || st.email == "" {
		return errors.New("usage: twinmetrics import FILE --email E [--profile NAME] [--publish] [--allow-rejected] [--confirm-warnings]")
	}
	user, err := store.UserByEmail(ctx, st.email)
	if err != nil {
		return fmt.Errorf("no staff account %s: add it with `twinmetrics user add`", st.email)
	}
	// A targets file (the Net Zero Tracker, CDP's targets) is read by
	// the profiles of output "targets" and published as one upload.
	if b, err := os.ReadFile(file); err == nil {
		if done, err := importTargets(ctx, file, b, st, store, user, stdout); done || err != nil {
			return err
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := up.Receive(ctx, f, filepath.Base(file), user)
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		fmt.Fprintf(stdout, "The file cannot be read: %s\nHow to fix it: %s\nNothing was changed.\n", locale.English(fe.Message), locale.English(fe.Hint))
		return errors.New("the file was refused")
	}
	if err != nil {
		return err
	}
	if st.profile != "" {
		if err := up.UseProfile(ctx, p.Key, st.profile); err != nil {
			up.Discard(p.Key, user)
			if errors.As(err, &fe) {
				fmt.Fprintf(stdout, "%s\n%s\nNothing was changed.\n", locale.English(fe.Message), locale.English(fe.Hint))
				return errors.New("no such import profile")
			}
			return err
		}
	}
	if p, err = up.Check(ctx, p.Key); err != nil {
		return err
	}
	if err := writeReport(ctx, up, stdout, p); err != nil {
		return err
	}
	if p.FileError != nil {
		return errors.New("the file was refused")
	}
	if !st.publish {
		fmt.Fprintf(stdout, "\nNothing is published yet. Publish with --publish, or on the page /admin/uploads/%s.\n", p.Key)
		return nil
	}
	id, err := up.Publish(ctx, p.Key, user, ingest.PublishOptions{AllowRejected: st.allowRej, ConfirmWarnings: st.confirmWarn})
	if err != nil {
		return fmt.Errorf("not published: %w", err)
	}
	fmt.Fprintf(stdout, "\nPublished as upload #%d: %d new and %d changed value(s).\n", id, p.Counts.New, p.Counts.Changed)
	return nil
}

// profileCommand: profile list, profile show NAME, profile approve NAME
// --email ADMIN.
func profileCommand(ctx context.Context, verb, name string, st settings, store *metrics.Store, stdout io.Writer) error {
	switch verb {
	case "list":
		ps, err := store.ImportProfiles(ctx, "")
		if err != nil {
			return err
		}
		for _, p := range ps {
			fmt.Fprintf(stdout, "%-32s %-9s %-8s v%-3d %s\n", p.Name, p.Status, p.Kind, p.Version, p.Title)
		}
		return nil
	case "show":
		if name == "" {
			return errors.New("usage: twinmetrics profile show NAME")
		}
		p, err := store.ImportProfileByName(ctx, name)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, p.Body, "", "  "); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "# %s (%s, %s, version %d, saved by %s at %s)\n%s\n", p.Name, p.Status, p.Kind, p.Version, p.UpdatedBy, p.UpdatedAt, buf.String())
		if p.HasProposal() {
			buf.Reset()
			if err := json.Indent(&buf, p.ProposedBody, "", "  "); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "# a change proposed by %s at %s waits for approval:\n%s\n", deref(p.ProposedBy), deref(p.ProposedAt), buf.String())
		}
		return nil
	case "approve":
		if name == "" || st.email == "" {
			return errors.New("usage: twinmetrics profile approve NAME --email ADMIN")
		}
		u, err := store.UserByEmail(ctx, st.email)
		if err != nil {
			return fmt.Errorf("no account %s: %w", st.email, err)
		}
		p, err := store.ImportProfileByName(ctx, name)
		if err != nil {
			return err
		}
		p, err = store.ApproveImportProfile(ctx, p.ID, u, time.Now())
		if errors.Is(err, metrics.ErrNotAllowed) {
			return fmt.Errorf("%s is an editor: only admins approve profiles", u.Email)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "approved %s (version %d)\n", p.Name, p.Version)
		return nil
	}
	return errors.New("usage: twinmetrics profile list | show NAME | approve NAME --email ADMIN")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// importTargets checks or publishes a targets file; done is false when
// the file is not one.
func importTargets(ctx context.Context, file string, b []byte, st settings, store *metrics.Store, user metrics.User, stdout io.Writer) (done bool, err error) {
	res, err := ingest.CheckTargets(ctx, store, filepath.Base(file), b)
	if errors.Is(err, ingest.ErrNotTargets) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	fmt.Fprintf(stdout, "Read as targets with the profile %s: %d targets of our areas; %d rows are about other actors and are left out.\n", res.Profile, res.New, res.Unmatched)
	if !st.publish {
		fmt.Fprintln(stdout, "Nothing is published yet. Publish with --publish.")
		return true, nil
	}
	res, err = ingest.PublishTargets(ctx, store, user, filepath.Base(file), b, time.Now())
	if err != nil {
		return true, err
	}
	fmt.Fprintf(stdout, "Published as upload #%d: %d targets, %d earlier targets of the same source and areas replaced (kept, retired). Roll back on /admin/uploads/%d.\n", res.UploadID, res.New, res.Replaced, res.UploadID)
	return true, nil
}
