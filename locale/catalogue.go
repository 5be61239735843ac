package locale

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages the catalogue speaks, English first (the fallback). English
// and Vietnamese are complete; Italian and Slovak cover the interface.
var Languages = []string{"en", "vi", "it", "sk"}

//go:embed *.json
var files embed.FS

// Files are the embedded message files, en.json, vi.json, it.json and
// sk.json.
func Files() fs.FS { return files }

// Catalogue is the messages of every language.
type Catalogue struct {
	localizers map[string]*i18n.Localizer
	// Matcher picks the best of Languages for an Accept-Language header.
	Matcher language.Matcher
}

// Load parses the message files of every language in fsys.
func Load(fsys fs.FS) (*Catalogue, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &Catalogue{localizers: map[string]*i18n.Localizer{}}
	var tags []language.Tag
	for _, l := range Languages {
		data, err := fs.ReadFile(fsys, l+".json")
		if err != nil {
			return nil, fmt.Errorf("message file for %s: %w", l, err)
		}
		if _, err := b.ParseMessageFileBytes(data, l+".json"); err != nil {
			return nil, fmt.Errorf("message file %s.json: %w", l, err)
		}
		c.localizers[l] = i18n.NewLocalizer(b, l, "en")
		tags = append(tags, language.Make(l))
	}
	c.Matcher = language.NewMatcher(tags)
	return c, nil
}

var (
	embedded     *Catalogue
	embeddedErr  error
	embeddedOnce sync.Once
)

// Embedded is the catalogue built into the program, parsed on first use.
func Embedded() (*Catalogue, error) {
	embeddedOnce.Do(func() { embedded, embeddedErr = Load(files) })
	return embedded, embeddedErr
}

// English renders m in English from the embedded catalogue: the command
// line and the logs speak through it.
func English(m Message) string {
	c, err := Embedded()
	if err != nil {
		return m.Key
	}
	return c.Say("en", m)
}

// Lookup renders the message id in lang with data filling its
// placeholders. A message missing from lang falls back to English; ok is
// false when English lacks it too.
func (c *Catalogue) Lookup(lang, id string, data map[string]any) (text string, ok bool) {
	loc := c.localizers[lang]
	if loc == nil {
		loc = c.localizers["en"]
	}
	// Messages are flat (no plural forms), so no PluralCount is given:
	// a count is only a placeholder.
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	var nf *i18n.MessageNotFoundErr
	if errors.As(err, &nf) && s == "" {
		return id, false
	}
	return s, s != "" || err == nil
}

// Say renders m in lang; a key no language has shows as itself.
func (c *Catalogue) Say(lang string, m Message) string {
	if m.Key == "" {
		return ""
	}
	var data map[string]any
	if len(m.Args) > 0 {
		data = make(map[string]any, len(m.Args))
		for k, v := range m.Args {
			if sub, ok := v.(Message); ok {
				v = c.Say(lang, sub)
			}
			data[k] = v
		}
	}
	s, _ := c.Lookup(lang, m.Key, data)
	return s
}
