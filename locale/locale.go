// Package locale is how twinmetrics speaks to people: the message
// catalogue (one flat JSON file per language, key → text, that a
// translator edits without touching Go code) and Message, a key with the
// arguments that fill its placeholders.
//
// Code never writes a user-facing sentence: it declares a Key once, next
// to the code that says it, and makes Messages from it. Pages render a
// Message in the reader's language; the command line and the logs render
// it in English, from the same catalogue. Every declared key is listed by
// Keys, so a test can check that each language has each one with the
// same placeholders.
package locale

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Message is something said to a person: a catalogue key and the
// arguments that fill its placeholders. An argument is a string or
// another Message (rendered in the same language: a state's name, say).
type Message struct {
	Key  string
	Args map[string]any
}

// IsZero reports whether m says nothing.
func (m Message) IsZero() bool { return m.Key == "" }

// String is m in English.
func (m Message) String() string { return English(m) }

// Key is a message the code can say, declared once with the names of its
// placeholders, in the order With takes their values.
type Key struct {
	id   string
	args []string
}

var (
	regMu    sync.Mutex
	registry = map[string][]string{}
)

// Define declares a message key and its placeholders. Declare keys in
// package-level variables, so that every key the code can say is known
// before it runs (see Keys).
func Define(id string, placeholders ...string) Key {
	regMu.Lock()
	defer regMu.Unlock()
	if prev, ok := registry[id]; ok && !slices.Equal(prev, placeholders) {
		panic(fmt.Sprintf("locale: %s declared twice with different placeholders", id))
	}
	registry[id] = placeholders
	return Key{id: id, args: placeholders}
}

// Keys lists every declared key with the names of its placeholders.
func Keys() map[string][]string {
	regMu.Lock()
	defer regMu.Unlock()
	out := make(map[string][]string, len(registry))
	for k, v := range registry {
		out[k] = slices.Clone(v)
	}
	return out
}

// ID is the key's name in the catalogue.
func (k Key) ID() string { return k.id }

// With makes the message, its placeholders filled by values in the
// order they were declared. A value is a string, a Message, or anything
// fmt prints.
func (k Key) With(values ...any) Message {
	m := Message{Key: k.id}
	if len(k.args) > 0 {
		m.Args = make(map[string]any, len(k.args))
		for i, name := range k.args {
			var v any = ""
			if i < len(values) {
				v = values[i]
			}
			switch v.(type) {
			case string, Message:
			default:
				v = fmt.Sprint(v)
			}
			m.Args[name] = v
		}
	}
	return m
}

// Error is an error said to a person. Its Error text is English; a page
// says it in the reader's language. Cause, if any, is what errors.Is
// and errors.As see beneath it.
type Error struct {
	Message
	Cause error
}

// Err makes an error of the message.
func (k Key) Err(values ...any) *Error { return &Error{Message: k.With(values...)} }

// Wrap makes an error of the message over cause.
func (k Key) Wrap(cause error, values ...any) *Error {
	return &Error{Message: k.With(values...), Cause: cause}
}

func (e *Error) Error() string { return English(e.Message) }

// Unwrap is the cause.
func (e *Error) Unwrap() error { return e.Cause }

// wire is a Message in JSON: the key, the arguments and, for readers of
// the JSON, the English text (not read back).
type wire struct {
	Key  string                     `json:"key"`
	Args map[string]json.RawMessage `json:"args,omitempty"`
	Text string                     `json:"text,omitempty"`
}

// MarshalJSON writes the key, the arguments and the English text.
func (m Message) MarshalJSON() ([]byte, error) {
	w := wire{Key: m.Key, Text: English(m)}
	if len(m.Args) > 0 {
		w.Args = make(map[string]json.RawMessage, len(m.Args))
		for k, v := range m.Args {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			w.Args[k] = b
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON wrote; the text is ignored.
func (m *Message) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Message{Key: w.Key}
	if len(w.Args) > 0 {
		m.Args = make(map[string]any, len(w.Args))
		for k, raw := range w.Args {
			if strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
				var sub Message
				if err := json.Unmarshal(raw, &sub); err != nil {
					return err
				}
				m.Args[k] = sub
				continue
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			m.Args[k] = s
		}
	}
	return nil
}
