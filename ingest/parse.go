package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/locale"
)

// Limits bound what an upload may be.
type Limits struct {
	MaxBytes     int64 // the whole file
	MaxRows      int   // data rows, the header not counted
	MaxLineBytes int   // one physical line of a CSV file
	// A user's pending uploads (received, checked, not yet published
	// or discarded) may number QuotaUploads and take QuotaBytes of disk,
	// originals and staged rows together; zero: no limit.
	QuotaUploads int
	QuotaBytes   int64
}

// DefaultLimits fit the largest real file staff handle (the WHO
// database: 32,000 rows, 5 MB) with a wide margin.
var DefaultLimits = Limits{MaxBytes: 128 << 20, MaxRows: 1_000_000, MaxLineBytes: 64 << 10, QuotaUploads: 20, QuotaBytes: 2 << 30}

// FileError is a problem with the file as a whole; it is reported
// before, and instead of, any row problem. Code classifies it for
// scripts ("pdf", "missing_columns").
type FileError struct {
	Code    string         `json:"code"`
	Message locale.Message `json:"message"`
	Hint    locale.Message `json:"hint"`
}

func (e *FileError) Error() string { return locale.English(e.Message) }

func fileErr(code string, msg, hint locale.Message) *FileError {
	return &FileError{Code: code, Message: msg, Hint: hint}
}

// TooLarge is the error of a file larger than maxBytes.
func TooLarge(maxBytes int64) *FileError {
	return fileErr("too_large", fileTooLarge.With(maxBytes>>20), fileHintSplit.With())
}

// Template columns, in order. The source_* columns describe a source
// the catalogue does not have yet.
var (
	requiredColumns = []string{"city", "indicator", "year", "value", "unit", "source"}
	optionalColumns = []string{"flags", "note", "source_title", "source_publisher", "source_url", "source_vintage", "source_licence"}
	templateColumns = append(append([]string{}, requiredColumns...), optionalColumns...)
)

// rowSource yields the data rows of a file: its line (or sheet row)
// number and fields, io.EOF at the end.
type rowSource interface {
	Next() (line int, fields []string, err error)
	Close() error
}

// header maps template column names to field positions.
type header struct {
	idx   map[string]int
	names []string // as written
	comma rune
}

func (h header) get(fields []string, col string) string {
	i, ok := h.idx[col]
	if !ok || i >= len(fields) {
		return ""
	}
	return strings.TrimSpace(fields[i])
}

// columnLetter is the spreadsheet name of the i-th column (0 → A).
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// sniff looks at the start of a file and says what it is, or why it
// cannot be read.
func sniff(head []byte, name string) (format string, err error) {
	if len(head) == 0 {
		return "", fileErr("empty", fileEmptyFile.With(name), fileHintEmpty.With())
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "xlsx", nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "", fileErr("xls", fileXLS.With(), fileHintSaveAs.With())
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "", fileErr("pdf", filePdf.With(), fileHintSaveAs.With())
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}), looksUTF16(head):
		return "", fileErr("utf16", fileUTF16.With(), fileHintSaveAs.With())
	case bytes.IndexByte(head, 0) >= 0:
		return "", fileErr("binary", fileBinary.With(), fileHintSaveAs.With())
	}
	t := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(string(head[:min(len(head), 512)]), "\ufeff")))
	for _, p := range []string{"<!doctype", "<html", "<table", "<?xml", "<head", "<body"} {
		if strings.HasPrefix(t, p) {
			return "", fileErr("html", fileHTML.With(), fileHintHTML.With())
		}
	}
	return "csv", nil
}

// looksUTF16 spots UTF-16 without a byte-order mark: every other byte
// NUL.
func looksUTF16(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	zeros := 0
	n := min(len(b), 512)
	for i := 1; i < n; i += 2 {
		if b[i] == 0 {
			zeros++
		}
	}
	return zeros > n/4
}

// scanCSV reads a CSV file once before parsing: it checks the encoding
// and line lengths and counts lines, so that these file problems are
// reported before any row, and progress can be shown as a share.
func scanCSV(path string, lim Limits) (lines int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	line := 0
	for {
		b, rerr := br.ReadSlice('\n')
		long := len(b)
		for rerr == bufio.ErrBufferFull {
			// a line longer than the buffer (and so than any limit):
			// measure it without keeping it
			b, rerr = br.ReadSlice('\n')
			long += len(b)
		}
		if len(b) > 0 || long > 0 {
			line++
		}
		if long > lim.MaxLineBytes {
			return 0, fileErr("line_too_long", fileLineTooLong.With(strconv.Itoa(line), strconv.Itoa(long), strconv.Itoa(lim.MaxLineBytes)), fileHintLineTooLong.With())
		}
		if long == len(b) && !utf8.Valid(b) {
			return 0, fileErr("encoding", fileEncoding.With(strconv.Itoa(line)), fileHintSaveAs.With())
		}
		if bytes.IndexByte(b, 0) >= 0 {
			return 0, fileErr("binary", fileNulByte.With(strconv.Itoa(line)), fileHintSaveAs.With())
		}
		if line > lim.MaxRows+1 {
			return 0, fileErr("too_many_rows", fileTooManyRows.With(strconv.Itoa(lim.MaxRows)), fileHintSplit.With())
		}
		if rerr == io.EOF {
			return line, nil
		}
		if rerr != nil {
			return 0, rerr
		}
	}
}

// detectComma chooses the delimiter from the header line.
func detectComma(first string) (rune, error) {
	count := func(r rune) int {
		n, inQ := 0, false
		for _, c := range first {
			switch {
			case c == '"':
				inQ = !inQ
			case c == r && !inQ:
				n++
			}
		}
		return n
	}
	c, s, t := count(','), count(';'), count('\t')
	switch {
	case c == 0 && s == 0 && t > 0:
		return 0, fileErr("tab_separated", fileTabSeparated.With(), fileHintSaveAs.With())
	case s > c:
		return ';', nil
	default:
		return ',', nil
	}
}

// csvSource reads rows from a CSV file.
type csvSource struct {
	f *os.File
	r *csv.Reader
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

func (s *csvSource) Next() (int, []string, error) {
	rec, err := s.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.StartLine, nil, fileErr("csv_syntax", fileCSVSyntax.With(strconv.Itoa(pe.Line), strconv.Itoa(pe.Column), pe.Err.Error()), fileHintCSVSyntax.With())
		}
		return 0, nil, err
	}
	line, _ := s.r.FieldPos(0)
	return line, rec, nil
}

func (s *csvSource) Close() error { return s.f.Close() }

// openCSV opens a CSV file, reads and checks its header.
func openCSV(path string, read *int64) (*csvSource, header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, header{}, err
	}
	br := bufio.NewReader(countingReader{r: f, n: read})
	// Peek the first line to choose the delimiter.
	peek, _ := br.Peek(64 << 10)
	first, _, _ := strings.Cut(strings.TrimPrefix(string(peek), "\ufeff"), "\n")
	if strings.TrimSpace(first) == "" {
		f.Close()
		// encoding/csv would skip the empty line and take the first row
		// of data for the header.
		return nil, header{}, fileErr("no_header", fileNoHeader.With(), fileHintFirstLine.With(strings.Join(templateColumns, ", ")))
	}
	comma, err := detectComma(first)
	if err != nil {
		f.Close()
		return nil, header{}, err
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	src := &csvSource{f: f, r: r}
	_, names, err := src.Next()
	if err == io.EOF {
		err = fileErr("empty", fileEmpty.With(), fileHintEmpty.With())
	}
	if err != nil {
		f.Close()
		return nil, header{}, err
	}
	h, err := checkHeader(append([]string(nil), names...), comma)
	if err != nil {
		f.Close()
		return nil, header{}, err
	}
	return src, h, nil
}

func normColumn(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	s = strings.Trim(s, "\"'")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
}

// checkHeader maps the header to template columns. Missing, unknown and
// repeated columns are file errors: guessing would put values in the
// wrong place.
func checkHeader(names []string, comma rune) (header, error) {
	h := header{idx: map[string]int{}, names: names, comma: comma}
	known := map[string]bool{}
	for _, c := range templateColumns {
		known[c] = true
	}
	var unknown, dups []string
	allEmpty := true
	for i, n := range names {
		c := normColumn(n)
		if c != "" {
			allEmpty = false
		}
		if c == "" && i == len(names)-1 && i > 0 {
			continue // a trailing delimiter
		}
		if !known[c] {
			unknown = append(unknown, fmt.Sprintf("%q (column %s)", strings.TrimSpace(n), columnLetter(i)))
			continue
		}
		if j, ok := h.idx[c]; ok {
			dups = append(dups, fmt.Sprintf("%q in columns %s and %s", c, columnLetter(j), columnLetter(i)))
			continue
		}
		h.idx[c] = i
	}
	if allEmpty {
		return h, fileErr("no_header", fileNoHeader.With(), fileHintTemplateColumns.With(strings.Join(templateColumns, ", ")))
	}
	if len(dups) > 0 {
		return h, fileErr("duplicate_header", fileDuplicateHeader.With(strings.Join(dups, "; ")), fileHintDuplicateHeader.With())
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := h.idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		unknownList := strings.Join(limitList(unknown, 8), ", ")
		layout := len(missing) >= 3 // not the template at all
		var msg locale.Message
		switch {
		case len(unknown) > 0 && layout:
			msg = fileMissingColumnsUnknownLayout.With(strings.Join(missing, ", "), unknownList)
		case len(unknown) > 0:
			msg = fileMissingColumnsUnknown.With(strings.Join(missing, ", "), unknownList)
		case layout:
			msg = fileMissingColumnsLayout.With(strings.Join(missing, ", "))
		default:
			msg = fileMissingColumns.With(strings.Join(missing, ", "))
		}
		return h, fileErr("missing_columns", msg, fileHintTemplateColumns.With(strings.Join(templateColumns, ", ")))
	}
	if len(unknown) > 0 {
		return h, fileErr("unknown_columns", fileUnknownColumns.With(strings.Join(limitList(unknown, 8), ", ")), fileHintTemplateColumns.With(strings.Join(templateColumns, ", ")))
	}
	return h, nil
}

func limitList(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("and %d more", len(xs)-n))
}

// xlsxSource reads the data sheet of a workbook as rows.
type xlsxSource struct {
	f         *excelize.File
	rows      *excelize.Rows
	fast      *fastSheet // the sheet's rows read from its XML, when it can be
	sheet     string
	row       int
	totalRows int
	// shared: the workbook is closed by its owner, not with the sheet
	shared bool
}

// newXLSXSource opens a sheet's rows: read from its XML (fastSheet)
// when excelize holds it in memory, else with excelize's Rows.
func newXLSXSource(f *excelize.File, sheet string, shared bool) (*xlsxSource, error) {
	xs := &xlsxSource{f: f, sheet: sheet, shared: shared}
	if xs.fast = openFastSheet(f, sheet); xs.fast != nil {
		return xs, nil
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	xs.rows = rows
	return xs, nil
}

func (s *xlsxSource) Next() (int, []string, error) {
	if s.fast != nil {
		n, cols, ok := s.fast.Next()
		if !ok {
			return 0, nil, io.EOF
		}
		s.row = n
		return n, cols, nil
	}
	if s.rows.Next() {
		s.row++
		cols, err := s.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return s.row, nil, fileErr("xlsx_damaged", fileXLSXDamagedAt.With(s.sheet, strconv.Itoa(s.row)), fileHintSaveAs.With())
		}
		return s.row, cols, nil
	}
	if err := s.rows.Error(); err != nil {
		return s.row, nil, fileErr("xlsx_damaged", fileXLSXDamagedAfter.With(s.sheet, strconv.Itoa(s.row)), fileHintSaveAs.With())
	}
	return 0, nil, io.EOF
}

func (s *xlsxSource) Close() error {
	if s.rows != nil {
		s.rows.Close()
	}
	if s.shared {
		return nil
	}
	return s.f.Close()
}

// openXLSX opens a workbook and the sheet that holds the data: the one
// named "data", else the first that is not the template's instructions
// or code lists.
func openXLSX(path string, lim Limits) (src *xlsxSource, h header, err error) {
	defer func() {
		// excelize can panic on some malformed archives; a bad file must
		// not take the server down.
		if r := recover(); r != nil {
			src, err = nil, fileErr("xlsx_damaged", fileXLSXDamaged.With(), fileHintSaveAs.With())
		}
	}()
	ferr, err := checkXLSXArchive(path, lim)
	if err != nil {
		return nil, header{}, err
	}
	if ferr != nil {
		return nil, header{}, ferr
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxXLSXUnpacked(lim), UnzipXMLSizeLimit: xlsxTempPart})
	if err != nil {
		return nil, header{}, fileErr("xlsx_damaged", fileXLSXUnopenable.With(), fileHintSaveAs.With())
	}
	sheet := ""
	for _, n := range f.GetSheetList() {
		if strings.EqualFold(n, "data") {
			sheet = n
			break
		}
	}
	if sheet == "" {
		for _, n := range f.GetSheetList() {
			if !templateInfoSheets[strings.ToLower(n)] {
				sheet = n
				break
			}
		}
	}
	if sheet == "" {
		f.Close()
		return nil, header{}, fileErr("xlsx_no_sheet", fileXLSXNoSheet.With(), fileHintXLSXNoSheet.With())
	}
	src, err = newXLSXSource(f, sheet, false)
	if err != nil {
		f.Close()
		return nil, header{}, fileErr("xlsx_damaged", fileXLSXSheetDamaged.With(sheet), fileHintSaveAs.With())
	}
	// Progress through a workbook is counted in rows: the sheet's
	// dimension says how many there are.
	if dim, err := f.GetSheetDimension(sheet); err == nil {
		if _, last, ok := strings.Cut(dim, ":"); ok {
			if _, r, err := excelize.CellNameToCoordinates(last); err == nil {
				src.totalRows = r
			}
		}
	}
	_, names, err := src.Next()
	if err == io.EOF {
		err = fileErr("empty", fileEmptySheet.With(sheet), fileHintEmptySheet.With())
	}
	if err == nil {
		h, err = checkHeader(append([]string(nil), names...), 0)
	}
	if err != nil {
		src.Close()
		return nil, header{}, err
	}
	return src, h, nil
}

// templateInfoSheets are the template workbook's sheets that are not data.
var templateInfoSheets = map[string]bool{"instructions": true, "cities": true, "indicators": true, "units": true, "sources": true, "flags": true}
