package dashboard

import (
	"errors"
	"github.com/twinmetrics/twinmetrics/ingest"
	"regexp"
	"sort"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// The upload check, publishing and accounts speak English (the CLI and
// the JSON API keep it); each of their messages carries a stable code
// and named arguments, which the staff pages translate here. English
// readers get the English text as written in the metrics package; a
// language lacking a message falls back to it too.

// coded translates the message key with args, or gives fallback when
// the key is empty, unknown or the reader reads English.
func (l Locale) coded(key string, args map[string]string, fallback string) string {
	if key == "" || l.Lang == "en" || l.tr == nil {
		return fallback
	}
	kv := make([]any, 0, 2*len(args))
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		kv = append(kv, k, args[k])
	}
	if s := l.T(key, kv...); s != key {
		return s
	}
	return fallback
}

// ProblemMessage is what is wrong in a row, in the reader's language.
func (l Locale) ProblemMessage(p ingest.Problem) string {
	if p.Code == "" {
		return p.Message
	}
	return l.coded("upload.problem."+p.Code, p.Args, p.Message)
}

// ProblemHint is how to fix a row's problem, in the reader's language.
func (l Locale) ProblemHint(p ingest.Problem) string {
	code := p.HintCode
	if code == "" {
		code = p.Code
	}
	if code == "" || p.Hint == "" {
		return p.Hint
	}
	return l.coded("upload.hint."+code, p.Args, p.Hint)
}

// FileErrorMessage says why a file cannot be read.
func (l Locale) FileErrorMessage(fe *ingest.FileError) string {
	if fe == nil {
		return ""
	}
	key := fe.Key
	if key == "" {
		key = fe.Code
	}
	return l.coded("upload.file."+key, fe.Args, fe.Message)
}

// FileErrorHint says how to fix a file that cannot be read.
func (l Locale) FileErrorHint(fe *ingest.FileError) string {
	if fe == nil {
		return ""
	}
	key := fe.HintKey
	if key == "" {
		key = fe.Key
	}
	if key == "" {
		key = fe.Code
	}
	return l.coded("upload.file_hint."+key, fe.Args, fe.Hint)
}

// Refusal says why a publish or rollback was refused.
func (l Locale) Refusal(re *ingest.RefusedError) string {
	if re == nil {
		return ""
	}
	args := make(map[string]string, len(re.Args))
	for k, v := range re.Args {
		if k == "Status" || k == "State" {
			v = l.UploadState(v)
		}
		args[k] = v
	}
	return l.coded("upload.refused."+re.Code, args, re.Msg)
}

// Failure says why the check of an upload stopped.
func (l Locale) Failure(p *ingest.Pending) string {
	if p == nil || p.Failure == "" {
		return ""
	}
	if p.FailureCode == "" {
		return p.Failure
	}
	return l.coded("upload.failure."+p.FailureCode, nil, p.Failure)
}

// UploadState names the state of an upload or a row ("ready",
// "rolled_back", "rejected").
func (l Locale) UploadState(s string) string {
	key := "upload.state." + s
	if t := l.T(key); t != key {
		return t
	}
	return strings.ReplaceAll(s, "_", " ")
}

// Where names a line of a CSV file or a row of a workbook.
func (l Locale) Where(p *ingest.Pending, line int) string {
	if p != nil && p.Format == "xlsx" {
		return l.T("upload.row_n", "Line", line)
	}
	return l.T("upload.line_n", "Line", line)
}

var (
	passwordShortRe = regexp.MustCompile(`^the password must be at least (\d+) characters long$`)
	notEmailRe      = regexp.MustCompile(`^"(.*)" is not an email address$`)
	badRoleRe       = regexp.MustCompile(`^role must be admin or editor, not "(.*)"$`)
	userExistsRe    = regexp.MustCompile(`^a user with the email (.*) already exists$`)
	noUserRe        = regexp.MustCompile(`^user (.*): not found$`)
)

// accountError words an error of the accounts (sign-in, password,
// users, tokens) for a staff page. The accounts speak English (the CLI
// shares them); their messages are matched here. An error not known
// here shows as it is, with a capital and a full stop.
func (l Locale) accountError(err error) string {
	var te *metrics.ThrottledError
	if errors.As(err, &te) {
		secs := int(te.Wait.Seconds() + 0.5)
		if secs < 1 {
			secs = 1
		}
		return l.T("login.error.throttled", "Seconds", secs)
	}
	if errors.Is(err, metrics.ErrBadCredentials) {
		return l.T("login.error.bad_credentials")
	}
	msg := err.Error()
	switch {
	case msg == "the current password is wrong":
		return l.T("users.error.current_wrong")
	case msg == "the password is longer than 1024 bytes":
		return l.T("users.error.password_long")
	case passwordShortRe.MatchString(msg):
		return l.T("users.error.password_short", "Min", passwordShortRe.FindStringSubmatch(msg)[1])
	case notEmailRe.MatchString(msg):
		return l.T("users.error.not_email", "Email", notEmailRe.FindStringSubmatch(msg)[1])
	case badRoleRe.MatchString(msg):
		return l.T("users.error.bad_role", "Role", badRoleRe.FindStringSubmatch(msg)[1])
	case userExistsRe.MatchString(msg):
		return l.T("users.error.exists", "Email", userExistsRe.FindStringSubmatch(msg)[1])
	case noUserRe.MatchString(msg):
		return l.T("users.error.no_user", "Email", noUserRe.FindStringSubmatch(msg)[1])
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
	}
	return msg
}

// httpMessages are the English messages of HTTP errors that staff
// pages show, by their message key.
var httpMessages = map[string]string{
	"Sign in first.": "staff.error.sign_in_first",
	"The form has expired or did not come from this site. Go back, reload the page and try again.": "staff.error.form_expired",
	"Only admins may do this.":                       "staff.error.admins_only",
	"this upload is published: roll it back instead": "upload.error.discard_published",
	"this upload is still being checked":             "upload.error.discard_checking",
	"this upload is already being checked":           "upload.error.already_checking",
	msgMapDone:                                       "map.error.upload_done",
	msgNoAliasTicked:                                 "aliases.error.none",
	msgNoSuchChange:                                  "profile.error.no_change",
}

// The mapping step's and the profiles' refusals.
const (
	msgMapDone       = "This upload is published or discarded: upload the file again to map it."
	msgNoAliasTicked = "Tick the names to accept as aliases."
	msgNoSuchChange  = "No such change of this profile."
)

// httpMessage translates the message of an HTTP error for an error
// page; a message not known here shows as it is.
func (l Locale) httpMessage(msg string) string {
	if key, ok := httpMessages[msg]; ok && l.tr != nil {
		return l.T(key)
	}
	return msg
}

// catalogueEntities are what the catalogue saves.
var catalogueEntities = map[string]bool{"city": true, "pair": true, "indicator": true, "source": true}

var (
	aliasTakenRe  = regexp.MustCompile(`^"(.*)" already names (.*)$`)
	noCitySlugRe  = regexp.MustCompile(`^no city has the slug "(.*)": add it first$`)
	listedTwiceRe = regexp.MustCompile(`^(.*) is listed twice$`)
	oneOfRe       = regexp.MustCompile(`^one of (.*)$`)
)

// catalogueMessages are the catalogue's English field errors, by key.
var catalogueMessages = map[string]string{
	"use lower-case letters, digits and hyphens, such as ho-chi-minh-city": "catalogue.error.slug_city",
	"a name of 1 to 200 characters is required":                            "catalogue.error.name",
	"an ISO 3166 alpha-3 code, such as VNM or SVK":                         "catalogue.error.iso3",
	"city, metropolitan, agglomeration or country":                         "catalogue.error.kind",
	"a number between -90 and 90, or empty":                                "catalogue.error.latitude",
	"a number between -180 and 180, or empty":                              "catalogue.error.longitude",
	"lower-case letters, digits and underscores, such as pm25_annual_mean": "catalogue.error.indicator_code",
	"a unit code from the list":                                            "catalogue.error.unit",
	"lower_is_better, higher_is_better or neutral":                         "catalogue.error.direction",
	"required": "catalogue.error.required",
	"values are stored in the current unit; changing it would change their meaning": "catalogue.error.unit_fixed",
	"lower-case letters, digits and underscores, such as hcmc_doe_2024":             "catalogue.error.source_code",
	"must start with https:// or http://":                                           "catalogue.error.url",
	"lower-case letters, digits and hyphens":                                        "catalogue.error.slug",
}

// catalogueInvalid translates a catalogue form's errors: the field's
// label and what is wrong with it.
func (l Locale) catalogueInvalid(fields map[string]string) map[string]string {
	out := make(map[string]string, len(fields))
	for field, msg := range fields {
		label := field
		if t := l.T("catalogue.field." + field); t != "catalogue.field."+field {
			label = t
		}
		if l.Lang != "en" && l.tr != nil {
			switch m := msg; {
			case catalogueMessages[m] != "":
				msg = l.T(catalogueMessages[m])
			case aliasTakenRe.MatchString(m):
				g := aliasTakenRe.FindStringSubmatch(m)
				msg = l.T("catalogue.error.alias_taken", "Alias", g[1], "Name", g[2])
			case noCitySlugRe.MatchString(m):
				msg = l.T("catalogue.error.no_city", "Slug", noCitySlugRe.FindStringSubmatch(m)[1])
			case listedTwiceRe.MatchString(m):
				msg = l.T("catalogue.error.listed_twice", "Slug", listedTwiceRe.FindStringSubmatch(m)[1])
			case oneOfRe.MatchString(m):
				msg = l.T("catalogue.error.one_of", "List", oneOfRe.FindStringSubmatch(m)[1])
			}
		}
		out[label] = msg
	}
	return out
}
