package locale_test

import (
	"encoding/json"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/twinmetrics/twinmetrics/locale"
)

var (
	keyState    = locale.Define("test.state.ready")
	keyNotReady = locale.Define("test.not_ready", "ID", "State")
	keyMissing  = locale.Define("test.only_english")
)

func testCatalogue(t *testing.T) *locale.Catalogue {
	t.Helper()
	fsys := fstest.MapFS{
		"en.json": {Data: []byte(`{"test.state.ready": "ready", "test.not_ready": "Upload #{{.ID}} is {{.State}}.", "test.only_english": "Only in English."}`)},
		"vi.json": {Data: []byte(`{"test.state.ready": "sẵn sàng", "test.not_ready": "Tải lên #{{.ID}} đang {{.State}}."}`)},
		"it.json": {Data: []byte(`{}`)},
		"sk.json": {Data: []byte(`{}`)},
	}
	c, err := locale.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSayFillsArgumentsAndNestedMessages(t *testing.T) {
	c := testCatalogue(t)
	m := keyNotReady.With(7, keyState.With())
	if got := c.Say("vi", m); got != "Tải lên #7 đang sẵn sàng." {
		t.Errorf("vi: %q", got)
	}
	if got := c.Say("en", m); got != "Upload #7 is ready." {
		t.Errorf("en: %q", got)
	}
	// A language that lacks the message says it in English.
	if got := c.Say("vi", keyMissing.With()); got != "Only in English." {
		t.Errorf("fallback: %q", got)
	}
	// A key no language has shows as itself, and Lookup says so.
	if got, ok := c.Lookup("vi", "test.nowhere", nil); ok || got != "test.nowhere" {
		t.Errorf("unknown key: %q %v", got, ok)
	}
}

func TestMessageJSONRoundTrip(t *testing.T) {
	m := keyNotReady.With(7, keyState.With())
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back locale.Message
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	c := testCatalogue(t)
	if c.Say("vi", back) != c.Say("vi", m) {
		t.Errorf("%s read back says %q, not %q", b, c.Say("vi", back), c.Say("vi", m))
	}
}

func TestErrorWrapsItsCause(t *testing.T) {
	cause := errors.New("not found")
	err := error(keyState.Wrap(cause))
	var le *locale.Error
	if !errors.Is(err, cause) || !errors.As(err, &le) || le.Key != "test.state.ready" {
		t.Errorf("%#v", err)
	}
}

func TestDefineRefusesOtherPlaceholders(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a key declared twice with other placeholders was accepted")
		}
	}()
	locale.Define("test.not_ready", "ID")
}
