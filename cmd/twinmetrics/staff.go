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
		return errors.New("usage: twinmetrics import FILE --email E [--publish] [--allow-rejected] [--confirm-warnings]")
	}
	user, err := store.UserByEmail(ctx, st.email)
	if err != nil {
		return fmt.Errorf("no staff account %s: add it with `twinmetrics user add`", st.email)
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
