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
)

// Limits bound what an upload may be.
type Limits struct {
	MaxBytes     int64 // the whole file
	MaxRows      int   // data rows, the header not counted
	MaxLineBytes int   // one physical line of a CSV file
}

// DefaultLimits fit the largest real file staff handle (the WHO
// database: 32,000 rows, 5 MB) with a wide margin.
var DefaultLimits = Limits{MaxBytes: 128 << 20, MaxRows: 1_000_000, MaxLineBytes: 64 << 10}

// FileError is a problem with the file as a whole; it is reported
// before, and instead of, any row problem.
type FileError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
	// Key names the message and HintKey the hint for translation (empty:
	// Code); Args fill their placeholders. Message and Hint are English.
	Key     string            `json:"key,omitempty"`
	HintKey string            `json:"hint_key,omitempty"`
	Args    map[string]string `json:"args,omitempty"`
}

// With gives a file error its message key, hint key and named
// arguments (pairs of name and value) for translation.
func (e *FileError) With(key, hintKey string, kv ...string) *FileError {
	e.Key, e.HintKey = key, hintKey
	if len(kv) > 1 {
		e.Args = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Args[kv[i]] = kv[i+1]
		}
	}
	return e
}

func (e *FileError) Error() string { return e.Message }

func fileErr(code, hint, format string, args ...any) *FileError {
	return &FileError{Code: code, Message: fmt.Sprintf(format, args...), Hint: hint}
}

const saveAsHint = "In Excel or LibreOffice choose Save As → “CSV UTF-8 (comma delimited)” or “Excel Workbook (.xlsx)”, or start from the template."

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
	Where(line int) string // "line 12" or "sheet data, row 12"
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
func sniff(head []byte, name string) (format string, ferr *FileError) {
	if len(head) == 0 {
		return "", fileErr("empty", "Export the data again, or fill in the template.", "The file %s is empty.", name).With("empty_file", "empty", "Name", name)
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "xlsx", nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "", fileErr("xls", saveAsHint, "The file is an old Excel 97–2003 workbook (.xls), which cannot be read.").With("xls", "save_as")
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "", fileErr("pdf", saveAsHint, "The file is a PDF, not a spreadsheet.").With("pdf", "save_as")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}), looksUTF16(head):
		return "", fileErr("utf16", saveAsHint, "The file is encoded as UTF-16 (Excel’s “Unicode text”); it must be UTF-8.").With("utf16", "save_as")
	case bytes.IndexByte(head, 0) >= 0:
		return "", fileErr("binary", saveAsHint, "The file is not text: it holds binary data, so it is neither CSV nor XLSX.").With("binary", "save_as")
	}
	t := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(string(head[:min(len(head), 512)]), "\ufeff")))
	for _, p := range []string{"<!doctype", "<html", "<table", "<?xml", "<head", "<body"} {
		if strings.HasPrefix(t, p) {
			return "", fileErr("html", "Open the page in a spreadsheet program and save it as CSV UTF-8 or XLSX, or start from the template.",
				"The file is a web page (HTML or XML) saved under a spreadsheet name, not CSV or XLSX.").With("html", "")
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
func scanCSV(path string, lim Limits) (lines int, ferr *FileError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
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
			return 0, fileErr("line_too_long", "Each row must be on its own line; check that the file was exported as CSV with line breaks, and that no cell holds a whole document.",
				"Line %d is %d bytes long; a line may be at most %d bytes.", line, long, lim.MaxLineBytes).With("line_too_long", "",
				"Line", strconv.Itoa(line), "Length", strconv.Itoa(long), "Max", strconv.Itoa(lim.MaxLineBytes)), nil
		}
		if long == len(b) && !utf8.Valid(b) {
			return 0, fileErr("encoding", saveAsHint, "Line %d is not valid UTF-8 text (the file was perhaps saved as Windows-1252 or Latin-1).", line).With("encoding", "save_as", "Line", strconv.Itoa(line)), nil
		}
		if bytes.IndexByte(b, 0) >= 0 {
			return 0, fileErr("binary", saveAsHint, "Line %d holds a NUL byte: the file is not plain text.", line).With("nul_byte", "save_as", "Line", strconv.Itoa(line)), nil
		}
		if line > lim.MaxRows+1 {
			return 0, fileErr("too_many_rows", "Split the file into several uploads.", "The file has more than %d data rows, the most one upload may have.", lim.MaxRows).With("too_many_rows", "split", "Max", strconv.Itoa(lim.MaxRows)), nil
		}
		if rerr == io.EOF {
			return line, nil, nil
		}
		if rerr != nil {
			return 0, nil, rerr
		}
	}
}

// detectComma chooses the delimiter from the header line.
func detectComma(first string) (rune, *FileError) {
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
		return 0, fileErr("tab_separated", saveAsHint, "The file is separated by tabs; the template is separated by commas or semicolons.").With("tab_separated", "save_as")
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
			return pe.StartLine, nil, fileErr("csv_syntax", "A field that contains a quote, the delimiter or a line break must be wrapped in double quotes, and a quote inside it doubled (\"\"). Re-export the file from a spreadsheet program, or fix that line.",
				"Line %d, column %d: %s.", pe.Line, pe.Column, pe.Err).With("csv_syntax", "", "Line", strconv.Itoa(pe.Line), "Column", strconv.Itoa(pe.Column), "Detail", pe.Err.Error())
		}
		return 0, nil, err
	}
	line, _ := s.r.FieldPos(0)
	return line, rec, nil
}

func (s *csvSource) Where(line int) string { return fmt.Sprintf("line %d", line) }
func (s *csvSource) Close() error          { return s.f.Close() }

// openCSV opens a CSV file, reads and checks its header.
func openCSV(path string, read *int64) (*csvSource, header, *FileError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, header{}, nil, err
	}
	br := bufio.NewReader(countingReader{r: f, n: read})
	// Peek the first line to choose the delimiter.
	peek, _ := br.Peek(64 << 10)
	first, _, _ := strings.Cut(strings.TrimPrefix(string(peek), "\ufeff"), "\n")
	if strings.TrimSpace(first) == "" {
		f.Close()
		// encoding/csv would skip the empty line and take the first row
		// of data for the header.
		return nil, header{}, fileErr("no_header", "The template’s first line names its columns: "+strings.Join(templateColumns, ", ")+".",
			"The first line is empty: the file must start with a header line naming its columns.").With("no_header", "first_line", "Columns", strings.Join(templateColumns, ", ")), nil
	}
	comma, ferr := detectComma(first)
	if ferr != nil {
		f.Close()
		return nil, header{}, ferr, nil
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
	if err != nil {
		f.Close()
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, header{}, fe, nil
		}
		if err == io.EOF {
			return nil, header{}, fileErr("empty", "Export the data again, or fill in the template.", "The file holds no rows, not even the header line.").With("empty", "empty"), nil
		}
		return nil, header{}, nil, err
	}
	h, ferr := checkHeader(append([]string(nil), names...), comma)
	if ferr != nil {
		f.Close()
		return nil, header{}, ferr, nil
	}
	return src, h, nil, nil
}

func normColumn(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	s = strings.Trim(s, "\"'")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
}

// checkHeader maps the header to template columns. Missing, unknown and
// repeated columns are file errors: guessing would put values in the
// wrong place.
func checkHeader(names []string, comma rune) (header, *FileError) {
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
	want := "The template’s columns are " + strings.Join(templateColumns, ", ") + " (the first six are required). Download the template from the uploads page and copy your data into it."
	if allEmpty {
		return h, fileErr("no_header", want, "The first line is empty: the file must start with a header line naming its columns.").With("no_header", "template_columns", "Columns", strings.Join(templateColumns, ", "))
	}
	if len(dups) > 0 {
		return h, fileErr("duplicate_header", "Remove or rename one of each pair.", "A column appears twice in the header: %s.", strings.Join(dups, "; ")).With("duplicate_header", "", "Columns", strings.Join(dups, "; "))
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := h.idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("The header lacks the required column(s) %s.", strings.Join(missing, ", "))
		key := "missing_columns"
		if len(unknown) > 0 {
			msg += fmt.Sprintf(" It has columns the template does not know: %s.", strings.Join(limitList(unknown, 8), ", "))
			key += "_unknown"
		}
		if len(missing) >= 3 {
			msg += " This is not the upload template’s layout (other layouts, such as the WHO or CDP databases, need their columns mapped first)."
			key += "_layout"
		}
		return h, fileErr("missing_columns", want, "%s", msg).With(key, "template_columns", "Missing", strings.Join(missing, ", "),
			"Unknown", strings.Join(limitList(unknown, 8), ", "), "Columns", strings.Join(templateColumns, ", "))
	}
	if len(unknown) > 0 {
		return h, fileErr("unknown_columns", want, "The header has column(s) the template does not know: %s.", strings.Join(limitList(unknown, 8), ", ")).With("unknown_columns", "template_columns",
			"Unknown", strings.Join(limitList(unknown, 8), ", "), "Columns", strings.Join(templateColumns, ", "))
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
	sheet     string
	row       int
	totalRows int
	// shared: the workbook is closed by its owner, not with the sheet
	shared bool
}

func (s *xlsxSource) Next() (int, []string, error) {
	if s.rows.Next() {
		s.row++
		cols, err := s.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return s.row, nil, fileErr("xlsx_damaged", saveAsHint, "The workbook cannot be read at sheet %s, row %d: it is damaged or truncated.", s.sheet, s.row).With("xlsx_damaged_at", "save_as", "Sheet", s.sheet, "Row", strconv.Itoa(s.row))
		}
		return s.row, cols, nil
	}
	if err := s.rows.Error(); err != nil {
		return s.row, nil, fileErr("xlsx_damaged", saveAsHint, "The workbook cannot be read after sheet %s, row %d: it is damaged or truncated.", s.sheet, s.row).With("xlsx_damaged_after", "save_as", "Sheet", s.sheet, "Row", strconv.Itoa(s.row))
	}
	return 0, nil, io.EOF
}

func (s *xlsxSource) Where(line int) string { return fmt.Sprintf("sheet %s, row %d", s.sheet, line) }
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
func openXLSX(path string, lim Limits) (src *xlsxSource, h header, ferr *FileError, err error) {
	defer func() {
		// excelize can panic on some malformed archives; a bad file must
		// not take the server down.
		if r := recover(); r != nil {
			src, ferr, err = nil, fileErr("xlsx_damaged", saveAsHint, "The workbook is damaged or truncated and cannot be read.").With("xlsx_damaged", "save_as"), nil
		}
	}()
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: lim.MaxBytes * 8, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, header{}, fileErr("xlsx_damaged", saveAsHint, "The file looks like an XLSX workbook but cannot be opened: it is damaged, truncated or password-protected.").With("xlsx_unopenable", "save_as"), nil
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
		return nil, header{}, fileErr("xlsx_no_sheet", "Put the data on a sheet named “data”, as in the template.", "The workbook has no data sheet.").With("xlsx_no_sheet", ""), nil
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, header{}, fileErr("xlsx_damaged", saveAsHint, "The sheet %s cannot be read: the workbook is damaged or truncated.", sheet).With("xlsx_sheet_damaged", "save_as", "Sheet", sheet), nil
	}
	src = &xlsxSource{f: f, rows: rows, sheet: sheet}
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
	if err != nil {
		src.Close()
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, header{}, fe, nil
		}
		return nil, header{}, fileErr("empty", "Fill in the template's data sheet.", "The sheet %s is empty: it has not even a header row.", sheet).With("empty_sheet", "empty_sheet", "Sheet", sheet), nil
	}
	h, ferr = checkHeader(append([]string(nil), names...), 0)
	if ferr != nil {
		src.Close()
		return nil, header{}, ferr, nil
	}
	return src, h, nil, nil
}

// templateInfoSheets are the template workbook's sheets that are not data.
var templateInfoSheets = map[string]bool{"instructions": true, "cities": true, "indicators": true, "units": true, "sources": true, "flags": true}
