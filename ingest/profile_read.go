package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// ReadAs says which profile read an upload: what the upload page shows
// as "Read as: …", and for a workbook the sheet read and the others.
type ReadAs struct {
	Profile     string   `json:"profile"`
	Title       string   `json:"title"`
	Version     int      `json:"version"`
	Detected    bool     `json:"detected"`
	Sheet       string   `json:"sheet,omitempty"`
	OtherSheets []string `json:"other_sheets,omitempty"`
}

// normHeader compares column names without case, accents, punctuation
// (but + counts), zero-width spaces, and the micro sign / Greek mu
// difference.
func normHeader(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\ufeff':
			return -1
		case 'µ':
			return 'μ'
		}
		return r
	}, s)
	// "BASIC" and "BASIC+" are different columns
	return metrics.Fold(strings.ReplaceAll(s, "+", " plus "))
}

// profileHeader is a file's header as a profile sees it.
type profileHeader struct {
	names []string
	idx   map[string]int // normHeader(name) → first position
}

func newProfileHeader(names []string) profileHeader {
	h := profileHeader{names: names, idx: map[string]int{}}
	for i, n := range names {
		k := normHeader(n)
		if _, ok := h.idx[k]; !ok && k != "" {
			h.idx[k] = i
		}
	}
	return h
}

func (h profileHeader) has(name string) bool {
	_, ok := h.idx[normHeader(name)]
	return ok
}

// find resolves a column reference: the first of its names the header
// has.
func (h profileHeader) find(c Column) (int, bool) {
	for _, n := range c {
		if i, ok := h.idx[normHeader(n)]; ok {
			return i, true
		}
	}
	return -1, false
}

// matches reports whether the header fits the profile's signature, and
// if not, the signature columns it lacks (or has but must not).
func (p *Profile) matches(h profileHeader) (missing, unwanted []string) {
	for _, c := range p.Recognise.Columns {
		if !h.has(c) {
			missing = append(missing, c)
		}
	}
	for _, c := range p.Recognise.Absent {
		if h.has(c) {
			unwanted = append(unwanted, c)
		}
	}
	return missing, unwanted
}

// profileSource is a file opened for a profile: its header and a source
// of the data rows after it. A profile with a sheet pattern reads every
// matching sheet of a workbook in turn (NextSheet).
type profileSource struct {
	p         *Profile
	src       rowSource
	header    profileHeader
	sheet     string   // the sheet being read
	sheets    []string // the workbook's other sheets
	read      []string // the sheets the profile reads, in order
	next      int
	totalRows int // a workbook's rows, for progress
	xs        *xlsxSource
	xf        *excelize.File
	ownsXF    bool
	// indicatorText is the text of the profile's indicator cell on the
	// sheet being read.
	indicatorText string
}

func (ps *profileSource) Close() error {
	if ps.src != nil {
		ps.src.Close()
	}
	if ps.xf != nil && ps.ownsXF {
		return ps.xf.Close()
	}
	return nil
}

// Sheets names the sheets read, for the preview.
func (ps *profileSource) Sheets() string { return strings.Join(ps.read, ", ") }

// openForProfile opens a file the way a profile reads it: sheet, header
// line(s), lines skipped. It refuses a workbook without the profile's
// sheet, naming it.
func openForProfile(path, format string, p *Profile, lim Limits, read *int64) (ps *profileSource, ferr *FileError, err error) {
	return openForProfileIn(nil, path, format, p, lim, read)
}

// openForProfileIn is openForProfile on a workbook already open (wb not
// nil), which it leaves open.
func openForProfileIn(wb *excelize.File, path, format string, p *Profile, lim Limits, read *int64) (ps *profileSource, ferr *FileError, err error) {
	if format != p.Read.Format {
		return nil, fileErr("profile_format", fileProfileFormat.With(p.Name, strings.ToUpper(p.Read.Format), strings.ToUpper(format)), fileHintProfileUpload.With()), nil
	}
	ps = &profileSource{p: p}
	if format == "csv" {
		cs, ferr, err := openCSVRaw(path, p.Read, read)
		if ferr != nil || err != nil {
			return nil, ferr, err
		}
		ps.src = cs
		if ferr, err := ps.readHeader(); ferr != nil || err != nil {
			ps.Close()
			return nil, ferr, err
		}
		return ps, nil, nil
	}
	defer func() {
		// excelize can panic on some malformed archives
		if r := recover(); r != nil {
			if ps != nil {
				ps.Close()
			}
			ps, ferr, err = nil, fileErr("xlsx_damaged", fileXLSXDamaged.With(), fileHintSaveAs.With()), nil
		}
	}()
	f := wb
	if f == nil {
		// the archive is checked before excelize unpacks anything of it
		ferr, err := checkXLSXArchive(path, lim)
		if err != nil {
			return nil, nil, err
		}
		if ferr != nil {
			return nil, ferr, nil
		}
		if f, err = excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxXLSXUnpacked(lim), UnzipXMLSizeLimit: xlsxTempPart}); err != nil {
			return nil, fileErr("xlsx_damaged", fileXLSXUnopenable.With(), fileHintSaveAs.With()), nil
		}
		ps.ownsXF = true
	}
	ps.xf = f
	all := f.GetSheetList()
	var re *regexp.Regexp
	if p.Read.SheetPattern != "" {
		re = regexp.MustCompile(p.Read.SheetPattern)
	}
	for _, s := range all {
		if re != nil && re.MatchString(s) || re == nil && strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(p.Read.Sheet)) {
			ps.read = append(ps.read, s)
		} else {
			ps.sheets = append(ps.sheets, s)
		}
	}
	if len(ps.read) == 0 {
		ps.Close()
		want, key := strconv.Quote(p.Read.Sheet), "read.sheet"
		if re != nil {
			want, key = "matching "+strconv.Quote(p.Read.SheetPattern), "read.sheet_pattern"
		}
		return nil, fileErr("profile_sheet", fileProfileSheet.With(want, p.Name, key, strings.Join(all, ", ")), fileHintProfileUpload.With()), nil
	}
	ok, ferr, err := ps.NextSheet()
	if !ok && ferr == nil && err == nil {
		ferr = fileErr("empty", fileEmptySheet.With(ps.read[0]), fileHintProfileUpload.With())
	}
	if ferr != nil || err != nil {
		ps.Close()
		return nil, ferr, err
	}
	return ps, nil, nil
}

// NextSheet moves to the next sheet the profile reads: false when there
// is none. The header is read again; the profile's indicator cell too.
func (ps *profileSource) NextSheet() (bool, *FileError, error) {
	if ps.xf == nil || ps.next >= len(ps.read) {
		return false, nil, nil
	}
	if ps.src != nil {
		ps.src.Close()
		ps.src, ps.xs = nil, nil
	}
	sheet := ps.read[ps.next]
	ps.next++
	xs, err := newXLSXSource(ps.xf, sheet, true)
	if err != nil {
		return false, fileErr("xlsx_damaged", fileXLSXSheetDamaged.With(sheet), fileHintSaveAs.With()), nil
	}
	if dim, err := ps.xf.GetSheetDimension(sheet); err == nil {
		if _, last, ok := strings.Cut(dim, ":"); ok {
			if _, r, err := excelize.CellNameToCoordinates(last); err == nil {
				xs.totalRows = r
			}
		}
	}
	ps.src, ps.xs, ps.sheet, ps.totalRows = xs, xs, sheet, xs.totalRows
	ps.indicatorText = ""
	ferr, err := ps.readHeader()
	return ferr == nil && err == nil, ferr, err
}

// readHeader reads the lines above the header, the header itself, and
// the lines after it that are not data.
func (ps *profileSource) readHeader() (*FileError, error) {
	p := ps.p
	// The indicator cell lies above the data: it is taken as the rows
	// pass (looking a cell up would load the whole sheet).
	cellCol, cellRow := -1, -1
	if ind := p.Indicator; ind != nil && ind.Cell != "" {
		if c, r, err := excelize.CellNameToCoordinates(ind.Cell); err == nil {
			cellCol, cellRow = c-1, r
		}
	}
	var headRows [][]string
	for i := 1; i < p.Read.headerLine()+p.Read.headerLines()+p.Read.SkipLines; i++ {
		line, fields, err := ps.src.Next()
		if err == nil && line == cellRow && cellCol < len(fields) {
			ps.indicatorText = strings.TrimSpace(fields[cellCol])
		}
		if err == io.EOF {
			return fileErr("profile_no_header", fileProfileNoHeader.With(p.Read.headerLine(), p.Name), fileHintProfileUpload.With()), nil
		}
		if err != nil {
			var fe *FileError
			if errors.As(err, &fe) {
				return fe, nil
			}
			return nil, err
		}
		if i >= p.Read.headerLine() && i < p.Read.headerLine()+p.Read.headerLines() {
			headRows = append(headRows, append([]string(nil), fields...))
		}
	}
	// Join a group line and the names below it column by column.
	width := 0
	for _, r := range headRows {
		width = max(width, len(r))
	}
	names := make([]string, width)
	for k, r := range headRows {
		group := ""
		for j := 0; j < width; j++ {
			cell := ""
			if j < len(r) {
				cell = strings.TrimSpace(r[j])
			}
			if k < len(headRows)-1 {
				// a group line: its cell stands for the empty ones to its right
				if cell == "" {
					cell = group
				} else {
					group = cell
				}
			}
			names[j] = strings.TrimSpace(names[j] + " " + cell)
		}
	}
	ps.header = newProfileHeader(names)
	return nil, nil
}

// openCSVRaw opens a CSV file with a profile's delimiter and encoding.
func openCSVRaw(path string, rs ReadSpec, read *int64) (*csvSource, *FileError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	var r io.Reader = countingReader{r: f, n: read}
	if strings.EqualFold(rs.Encoding, "windows-1252") {
		r = charmap.Windows1252.NewDecoder().Reader(r)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		br.Discard(3)
	}
	comma := ','
	switch rs.Delimiter {
	case ";":
		comma = ';'
	case "\t":
		comma = '\t'
	case "":
		peek, _ := br.Peek(64 << 10)
		first, _, _ := strings.Cut(string(peek), "\n")
		if c, ferr := detectComma(first); ferr == nil {
			comma = c
		} else {
			comma = '\t'
		}
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	return &csvSource{f: f, r: cr}, nil, nil
}

// DetectProfile finds the profile whose header signature the file
// matches; nil when none does. When several match, the longest
// signature wins.
func DetectProfile(path, format string, profiles []*Profile, lim Limits) (p *Profile, err error) {
	var wb *excelize.File
	if format == "xlsx" {
		// one opening of the workbook for every profile's look at it
		defer func() {
			if r := recover(); r != nil {
				p, err = nil, nil // a damaged workbook: the template path says so
			}
		}()
		// A workbook the archive check refuses is no profile's: the
		// template path refuses it, saying why.
		if ferr, err := checkXLSXArchive(path, lim); err != nil || ferr != nil {
			return nil, err
		}
		var oerr error
		wb, oerr = excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxXLSXUnpacked(lim), UnzipXMLSizeLimit: xlsxTempPart})
		if oerr != nil {
			return nil, nil
		}
		defer wb.Close()
	}
	var best *Profile
	for _, p := range profiles {
		if p.Read.Format != format {
			continue
		}
		var read int64
		ps, ferr, err := openForProfileIn(wb, path, format, p, lim, &read)
		if err != nil {
			return nil, err
		}
		if ferr != nil {
			continue
		}
		missing, unwanted := p.matches(ps.header)
		ps.Close()
		if len(missing) == 0 && len(unwanted) == 0 {
			if best == nil || len(p.Recognise.Columns)+len(p.Recognise.Absent) > len(best.Recognise.Columns)+len(best.Recognise.Absent) {
				best = p
			}
		}
	}
	return best, nil
}

// SortProfiles orders profiles by name.
func SortProfiles(ps []*Profile) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
}

var (
	dateYMDRe   = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})`)
	dateMDYRe   = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})`)
	fiscalRe    = regexp.MustCompile(`^\s*(\d{4})-(\d{2})-(\d{2})\s*[-–]\s*(\d{4})-(\d{2})-(\d{2})\s*$`)
	yearOnlyRe  = regexp.MustCompile(`^\s*(\d{4})(\.0+)?\s*$`)
	excelDateRe = regexp.MustCompile(`^\d{5}(\.\d+)?$`)
)

// parseYearAs reads a year the way a year spec says; ok false when the
// text does not fit.
func parseYearAs(s string, y *YearSpec) (int, bool) {
	s = strings.TrimSpace(s)
	switch y.Parse {
	case "date":
		if m := dateYMDRe.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n, true
		}
		if m := dateMDYRe.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[3])
			return n, true
		}
		if excelDateRe.MatchString(s) {
			// a workbook date as its serial number
			f, _ := strconv.ParseFloat(s, 64)
			t, err := excelize.ExcelDateToTime(f, false)
			if err == nil {
				return t.Year(), true
			}
		}
		if m := yearOnlyRe.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n, true
		}
		return 0, false
	case "fiscal_range":
		m := fiscalRe.FindStringSubmatch(s)
		if m == nil {
			if ym := yearOnlyRe.FindStringSubmatch(s); ym != nil {
				n, _ := strconv.Atoi(ym[1])
				return n, true
			}
			return 0, false
		}
		y1, _ := strconv.Atoi(m[1])
		y2, _ := strconv.Atoi(m[4])
		switch y.FiscalRule {
		case "start":
			return y1, true
		case "end":
			return y2, true
		default: // majority
			if y1 == y2 {
				return y1, true
			}
			// days in the start year against days in the end year
			mo1, _ := strconv.Atoi(m[2])
			d1, _ := strconv.Atoi(m[3])
			mo2, _ := strconv.Atoi(m[5])
			d2, _ := strconv.Atoi(m[6])
			inStart := (12-mo1)*30 + (31 - d1)
			inEnd := (mo2-1)*30 + d2
			if inStart > inEnd {
				return y1, true
			}
			return y2, true
		}
	default:
		if m := yearOnlyRe.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n, true
		}
		return 0, false
	}
}
