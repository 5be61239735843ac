// Package synth makes clearly synthetic cities and values, for measuring
// how the application behaves with a national deployment's worth of
// data. Every city it adds is named "Synthetic city NNNNN" in the
// country code XSY (no country has it), and every value comes from the
// source synthetic_benchmark, titled as not real data. Values go in
// through the application's own upload pipeline (check, then publish),
// in files of a few cities each; nothing touches the seed.
package synth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// Names that mark everything synthetic.
const (
	SlugPrefix  = "synthetic-city-"
	Country     = "XSY"
	SourceCode  = "synthetic_benchmark"
	SourceTitle = "Synthetic benchmark values (not real data)"
	Email       = "synthetic-loader@example.invalid"
)

// Options say how much to make.
type Options struct {
	// Cities is how many synthetic cities the database should hold in
	// the end; those it already holds are kept.
	Cities int
	// Years of values per city and indicator, ending with LastYear.
	Years, LastYear int
	// CitiesPerFile is how many cities each upload carries.
	CitiesPerFile int
	// Dir holds the generated files while they load.
	Dir string
	// Progress, if set, hears after each file.
	Progress func(done, total, values int)
}

// Slug is the slug of synthetic city i (1-based).
func Slug(i int) string { return fmt.Sprintf("%s%05d", SlugPrefix, i) }

// Indicators are those a synthetic city gets values for: every stored
// (not derived) indicator of the catalogue but the national ones.
func Indicators(cat *metrics.Catalogue) []*metrics.Indicator {
	var out []*metrics.Indicator
	for _, ind := range cat.Indicators {
		if ind.Derived() || strings.HasSuffix(ind.Code, "_national") {
			continue
		}
		out = append(out, ind)
	}
	return out
}

// Existing counts the synthetic cities already in the catalogue.
func Existing(cat *metrics.Catalogue) int {
	n := 0
	for _, a := range cat.Areas {
		if strings.HasPrefix(a.Slug, SlugPrefix) {
			n++
		}
	}
	return n
}

// Load adds synthetic cities up to o.Cities and their values, through
// the catalogue and the upload pipeline. It returns how many values it
// published.
func Load(ctx context.Context, store *metrics.Store, up *ingest.Uploader, o Options) (int, error) {
	if o.Years <= 0 || o.LastYear < 1900+o.Years || o.CitiesPerFile <= 0 {
		return 0, errors.New("synth: years, last year and cities per file must be positive")
	}
	cat, err := store.Catalogue(ctx)
	if err != nil {
		return 0, err
	}
	first := Existing(cat) + 1
	for i := first; i <= o.Cities; i++ {
		if err := store.SaveCity(ctx, metrics.CityInput{Slug: Slug(i), Name: fmt.Sprintf("Synthetic city %05d", i), CountryISO3: Country,
			Kind: metrics.KindCity, Boundary: "synthetic: not a real place"}, Email); err != nil {
			return 0, fmt.Errorf("synth: city %d: %w", i, err)
		}
	}
	if first > o.Cities {
		return 0, nil
	}
	user, err := store.UserByEmail(ctx, Email)
	if err != nil {
		pw := strconv.FormatUint(rand.Uint64(), 36) + strconv.FormatUint(rand.Uint64(), 36)
		if user, err = store.AddUser(ctx, Email, metrics.RoleEditor, pw, time.Now()); err != nil {
			return 0, err
		}
	}
	if cat, err = store.Catalogue(ctx); err != nil {
		return 0, err
	}
	inds := Indicators(cat)
	described := false
	for _, s := range cat.Sources {
		described = described || s.Code == SourceCode
	}
	total := 0
	for from := first; from <= o.Cities; from += o.CitiesPerFile {
		to := min(from+o.CitiesPerFile-1, o.Cities)
		path := filepath.Join(o.Dir, fmt.Sprintf("synthetic-%05d-%05d.csv", from, to))
		if err := writeFile(path, from, to, inds, o.LastYear-o.Years+1, o.LastYear, !described); err != nil {
			return total, err
		}
		n, err := publish(ctx, up, user, path)
		os.Remove(path)
		if err != nil {
			return total, fmt.Errorf("synth: cities %d–%d: %w", from, to, err)
		}
		described = true
		total += n
		if o.Progress != nil {
			o.Progress(to-first+1, o.Cities-first+1, total)
		}
	}
	return total, nil
}

func publish(ctx context.Context, up *ingest.Uploader, user metrics.User, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	p, err := up.Receive(ctx, f, filepath.Base(path), user)
	if err != nil {
		return 0, err
	}
	if p, err = up.Check(ctx, p.Key); err != nil {
		return 0, err
	}
	if p.FileError != nil {
		return 0, errors.New(p.FileError.Message.String())
	}
	if p.Counts.Rejected > 0 {
		return 0, fmt.Errorf("%d rows rejected", p.Counts.Rejected)
	}
	if _, err := up.Publish(ctx, p.Key, user, ingest.PublishOptions{ConfirmWarnings: true}); err != nil {
		return 0, err
	}
	return p.Counts.New + p.Counts.Changed, nil
}

// Header is the upload template's header with the columns that describe
// a new source.
const Header = "city,indicator,year,value,unit,source,flags,note,source_title,source_publisher,source_url,source_vintage\n"

// WriteValues writes the rows of synthetic cities from..to (1-based,
// inclusive), one per indicator and year, in the upload template's
// layout. The first row describes the synthetic source when describe is
// set. The values follow a smooth trend per city and indicator with a
// little noise, inside each unit's legal range; they stand for nothing.
func WriteValues(w io.Writer, from, to int, inds []*metrics.Indicator, firstYear, lastYear int, describe bool) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(Header); err != nil {
		return err
	}
	for c := from; c <= to; c++ {
		for k, ind := range inds {
			r := rand.New(rand.NewPCG(uint64(c), uint64(k)))
			base, trend := baseValue(ind, r), (r.Float64()-0.5)*0.04
			for y := firstYear; y <= lastYear; y++ {
				v := base * (1 + trend*float64(y-firstYear)) * (1 + (r.Float64()-0.5)*0.04)
				if ind.Unit == "percent" {
					v = math.Min(math.Max(v, 0), 100)
				}
				src := ""
				if describe {
					src = SourceTitle + ",twinmetrics synth,https://example.invalid/synthetic,synthetic"
					describe = false
				} else {
					src = ",,,"
				}
				if _, err := fmt.Fprintf(bw, "%s,%s,%d,%s,%s,%s,,synthetic value,%s\n", Slug(c), ind.Code, y,
					strconv.FormatFloat(v, 'g', 6, 64), ind.Unit, SourceCode, src); err != nil {
					return err
				}
			}
		}
	}
	return bw.Flush()
}

func baseValue(ind *metrics.Indicator, r *rand.Rand) float64 {
	switch ind.Unit {
	case "percent":
		return 5 + r.Float64()*80
	case "persons":
		return 1e5 + r.Float64()*4e6
	default:
		return 1 + r.Float64()*999
	}
}

func writeFile(path string, from, to int, inds []*metrics.Indicator, firstYear, lastYear int, describe bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteValues(f, from, to, inds, firstYear, lastYear, describe); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
