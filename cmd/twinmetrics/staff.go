package main

import (
	"bufio"
	"context"
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
func userCommand(ctx context.Context, verb string, st settings, store *metrics.Store, stdin io.Reader, stdout io.Writer) error {
	if verb != "add" {
		return fmt.Errorf("usage: twinmetrics user add --email E --role admin|editor (the password is read from standard input)")
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
			up.Discard(p.Key)
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
