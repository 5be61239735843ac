package dashboard

import (
	"errors"
	"strings"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// Staff pages say what the upload pipeline, the accounts and the
// catalogue report: each reports a locale.Message, said here in the
// reader's language.

// UploadState names the state of an upload or a row ("ready",
// "rolled_back", "rejected").
func (l Locale) UploadState(s string) string { return l.Say(ingest.StateName(s)) }

// Where names a line of a CSV file or a row of a workbook.
func (l Locale) Where(p *ingest.Pending, line int) string { return l.Say(p.Where(line)) }

// accountError words an error of the accounts (sign-in, password,
// users, tokens) for a staff page. An error that says nothing to a
// person shows as it is, with a capital and a full stop.
func (l Locale) accountError(err error) string {
	var te *metrics.ThrottledError
	if errors.As(err, &te) {
		return l.Say(te.Message())
	}
	var le *locale.Error
	if errors.As(err, &le) {
		return l.Say(le.Message)
	}
	msg := err.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
	}
	return msg
}

// invalidFields words a catalogue form's errors: the field's label and
// what is wrong with it.
func (l Locale) invalidFields(fields map[string]locale.Message) map[string]string {
	out := make(map[string]string, len(fields))
	for field, msg := range fields {
		label := field
		if t, ok := l.lookup("catalogue.field." + field); ok {
			label = t
		}
		out[label] = l.Say(msg)
	}
	return out
}
