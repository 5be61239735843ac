package metrics

import (
	"fmt"

	"github.com/twinmetrics/twinmetrics/locale"
)

// BidiControl finds the first bidirectional embedding, override or
// isolate character (U+202A–U+202E, U+2066–U+2069) in s. They are
// invisible and make text display in another order than it is stored
// and compared ("Trojan Source"): a city name or note could read as
// something it is not. Such text is refused wherever staff or an upload
// give a label or a note.
func BidiControl(s string) (rune, bool) {
	for _, r := range s {
		if (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return r, true
		}
	}
	return 0, false
}

// refuseBidi adds to bad every field whose text holds a bidirectional
// control.
func refuseBidi(bad map[string]locale.Message, fields map[string]string) {
	for name, v := range fields {
		if r, ok := BidiControl(v); ok {
			bad[name] = catBidi.With(fmt.Sprintf("U+%04X", r))
		}
	}
}
