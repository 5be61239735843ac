package dashboard_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestEnginesGiveTheSameAnswers: the same seed served from SQLite and
// from PostgreSQL gives a reader byte for byte the same API answers,
// downloads and pages: no drift in sorting (collation), numbers
// (double precision), flags (booleans) or times.
func TestEnginesGiveTheSameAnswers(t *testing.T) {
	lite := testapp.New(t, testapp.Options{Engine: "sqlite"})
	pg := testapp.New(t, testapp.Options{Engine: "postgres"})
	for _, url := range familyURLs {
		a, aCode := body(t, lite.Handler, url)
		b, bCode := body(t, pg.Handler, url)
		if aCode != http.StatusOK || bCode != http.StatusOK {
			t.Errorf("%s: SQLite %d, PostgreSQL %d", url, aCode, bCode)
			continue
		}
		// When each seed ran is not the engine's doing: the databases
		// are built at different times (PostgreSQL's once per build).
		a, b = seedTime.ReplaceAll(a, []byte("${1}…")), seedTime.ReplaceAll(b, []byte("${1}…"))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the engines:\n%s", url, firstDifference(a, b))
		}
	}
}

// familyURLs is one address of each page and API family, on the seed.
var familyURLs = []string{
	"/api/v1/cities",
	"/api/v1/pairs",
	"/api/v1/indicators",
	"/api/v1/sources",
	"/api/v1/flags",
	"/api/v1/observations?city=hanoi",
	"/api/v1/observations?indicator=pm25_annual_mean",
	"/api/v1/targets",
	"/data/download?format=csv",
	"/data/download?format=csv&pair=hanoi-milan",
	"/data/download?format=json&city=kosice",
	"/pairs/hanoi-milan",
	"/pairs/ho-chi-minh-city-kosice",
	"/indicators/pm25_annual_mean",
}

// moreFamilyURLs are the other page and API families: pages that print
// a date or the time of a build differ between two seeded databases,
// but not between two instances of one.
var moreFamilyURLs = []string{
	"/",
	"/pairs/hanoi-milan/brief",
	"/embed/pairs/hanoi-milan/pm25_annual_mean",
	"/compare?a=hanoi&b=ho-chi-minh-city",
	"/cities/hanoi",
	"/indicators",
	"/about",
	"/data",
	"/data/download?format=xlsx&pair=hanoi-milan",
	"/data/download?format=datapackage",
	"/api/v1/observations?pair=hanoi-milan",
	"/api/v1/cities?limit=10",
	"/api/v1/import-profiles/schema.json",
	"/api/v1/openapi.json",
}

var seedTime = regexp.MustCompile(`("last_modified": ?)"[0-9TZ:-]+"`)

func body(t *testing.T, h http.Handler, url string) ([]byte, int) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return b, rec.Code
}

// firstDifference shows the first line where a and b differ.
func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			j := 0
			for j < len(x) && j < len(y) && x[j] == y[j] {
				j++
			}
			from := max(0, j-80)
			return "line " + strconv.Itoa(i+1) + "\n  SQLite:     …" + clipTo(x[from:], 240) + "\n  PostgreSQL: …" + clipTo(y[from:], 240)
		}
	}
	return "(same lines, different bytes)"
}

func clipTo(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
