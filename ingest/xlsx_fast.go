package ingest

import (
	"bytes"
	"encoding/xml"
	"html"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// A worksheet is read row by row with excelize's Rows, which decodes
// each cell through encoding/xml's reflection: about half the time of a
// seed went there (the 17 sheets of Eurostat's urb_ctran, 326,000
// cells). fastSheet reads the same rows from the sheet's XML, already
// unpacked in memory by excelize, with a plain scan, giving the cells
// exactly as Rows.Columns does with RawCellValue (TestFastSheetMatches
// compares both on every workbook of data/raw and testdata). A sheet
// excelize keeps in a temporary file (a large one), or anything the
// scan does not expect, is read with Rows as before.

// fastSheet is a worksheet's rows, read from its XML.
type fastSheet struct {
	data []byte // the sheetData element's content
	pos  int
	sst  []string
	// next is the number of the next row Next returns; pending the
	// row the scan read ahead (a row numbered past next: the rows
	// between are empty).
	next       int
	pending    []string
	pendingNum int
}

// openFastSheet returns the sheet's rows, or nil when they must be read
// with excelize.
func openFastSheet(f *excelize.File, sheet string) *fastSheet {
	xmlPath, ok := sheetXMLPath(f, sheet)
	if !ok {
		return nil
	}
	data, ok := pkgBytes(f, xmlPath)
	if !ok {
		return nil
	}
	start := bytes.Index(data, []byte("<sheetData"))
	if start < 0 {
		return nil
	}
	gt := bytes.IndexByte(data[start:], '>')
	if gt < 0 {
		return nil
	}
	fs := &fastSheet{next: 1}
	if data[start+gt-1] == '/' { // <sheetData/>: no rows
		return fs
	}
	body := data[start+gt+1:]
	end := bytes.Index(body, []byte("</sheetData>"))
	if end < 0 {
		return nil
	}
	fs.data = body[:end]
	if bytes.Contains(fs.data, []byte(`t="s"`)) {
		b, ok := pkgBytes(f, "xl/sharedStrings.xml")
		if !ok {
			return nil
		}
		fs.sst = readSharedStrings(b)
	}
	return fs
}

// pkgBytes is a part of the workbook as excelize holds it in memory.
func pkgBytes(f *excelize.File, name string) ([]byte, bool) {
	v, ok := f.Pkg.Load(name)
	if !ok {
		return nil, false
	}
	b, ok := v.([]byte)
	return b, ok
}

// sheetXMLPath finds a sheet's part through the workbook and its
// relationships.
func sheetXMLPath(f *excelize.File, sheet string) (string, bool) {
	wb, ok := pkgBytes(f, "xl/workbook.xml")
	if !ok {
		return "", false
	}
	rels, ok := pkgBytes(f, "xl/_rels/workbook.xml.rels")
	if !ok {
		return "", false
	}
	var w struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var r struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if xml.Unmarshal(wb, &w) != nil || xml.Unmarshal(rels, &r) != nil {
		return "", false
	}
	for _, s := range w.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, rel := range r.Rels {
			if rel.ID == s.ID {
				if strings.HasPrefix(rel.Target, "/") {
					return strings.TrimPrefix(rel.Target, "/"), true
				}
				return path.Join("xl", rel.Target), true
			}
		}
	}
	return "", false
}

// Next returns the next row's number and cells; ok is false after the
// last row.
func (fs *fastSheet) Next() (num int, cells []string, ok bool) {
	if fs.pending == nil && fs.pendingNum == 0 {
		n, cs, ok := fs.scanRow()
		if !ok {
			return 0, nil, false
		}
		fs.pending, fs.pendingNum = cs, n
	}
	num = fs.next
	fs.next++
	if fs.pendingNum > num {
		return num, nil, true // a row the sheet leaves out: empty
	}
	cells = fs.pending
	fs.pending, fs.pendingNum = nil, 0
	return num, cells, true
}

var (
	tagRow     = []byte("<row")
	tagRowEnd  = []byte("</row>")
	tagC       = []byte("<c")
	tagCEnd    = []byte("</c>")
	tagV       = []byte("<v")
	tagVEnd    = []byte("</v>")
	tagIS      = []byte("<is")
	tagISEnd   = []byte("</is>")
	tagF       = []byte("<f")
	tagT       = []byte("<t")
	tagTEnd    = []byte("</t>")
	tagRPh     = []byte("<rPh")
	tagRPhEnd  = []byte("</rPh>")
	emptyCells = []string{}
)

// element finds the next start tag of name in b (not a longer name that
// begins the same way): its position and the end of its start tag, and
// whether it closes itself.
func element(b []byte, tag []byte) (start, end int, selfClosing, ok bool) {
	off := 0
	for {
		i := bytes.Index(b[off:], tag)
		if i < 0 {
			return 0, 0, false, false
		}
		i += off
		j := i + len(tag)
		if j < len(b) && (b[j] == ' ' || b[j] == '>' || b[j] == '/' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
			gt := bytes.IndexByte(b[j:], '>')
			if gt < 0 {
				return 0, 0, false, false
			}
			gt += j
			return i, gt + 1, b[gt-1] == '/', true
		}
		off = j
	}
}

// attr reads an attribute of a start tag.
func attr(tag []byte, name string) (string, bool) {
	for off := 0; ; {
		i := bytes.Index(tag[off:], []byte(name+`="`))
		if i < 0 {
			return "", false
		}
		i += off
		if i > 0 && tag[i-1] != ' ' && tag[i-1] != '\t' && tag[i-1] != '\n' && tag[i-1] != '\r' {
			off = i + len(name)
			continue
		}
		v := tag[i+len(name)+2:]
		q := bytes.IndexByte(v, '"')
		if q < 0 {
			return "", false
		}
		return xmlText(v[:q]), true
	}
}

// scanRow reads the next row element: its number and its cells as
// Rows.Columns gives them (blank cells between values kept as "", none
// after the last value).
func (fs *fastSheet) scanRow() (int, []string, bool) {
	b := fs.data[fs.pos:]
	start, end, self, ok := element(b, tagRow)
	if !ok {
		fs.pos = len(fs.data)
		return 0, nil, false
	}
	num := fs.next
	if r, ok := attr(b[start:end], "r"); ok {
		if n, err := strconv.Atoi(r); err == nil && n > 0 {
			num = n
		}
	}
	if num < fs.next {
		num = fs.next // excelize counts on from the row before
	}
	if self {
		fs.pos += end
		return num, emptyCells, true
	}
	rowEnd := bytes.Index(b[end:], tagRowEnd)
	if rowEnd < 0 {
		fs.pos = len(fs.data)
		return 0, nil, false
	}
	row := b[end : end+rowEnd]
	fs.pos += end + rowEnd + len(tagRowEnd)
	cells := emptyCells
	col := 0
	for len(row) > 0 {
		cs, ce, cself, ok := element(row, tagC)
		if !ok {
			break
		}
		tag := row[cs:ce]
		col++
		if ref, ok := attr(tag, "r"); ok {
			if c, _, err := excelize.CellNameToCoordinates(ref); err == nil {
				col = c
			}
		}
		var content []byte
		if cself {
			row = row[ce:]
		} else {
			cEnd := bytes.Index(row[ce:], tagCEnd)
			if cEnd < 0 {
				break
			}
			content = row[ce : ce+cEnd]
			row = row[ce+cEnd+len(tagCEnd):]
		}
		typ, _ := attr(tag, "t")
		val, formula := fs.cellValue(typ, content)
		if val != "" || formula {
			for len(cells) < col-1 {
				cells = append(cells, "")
			}
			cells = append(cells, val)
		}
	}
	return num, cells, true
}

// cellValue is a cell's text as excelize gives it with RawCellValue.
func (fs *fastSheet) cellValue(typ string, content []byte) (string, bool) {
	_, _, _, formula := element(content, tagF)
	v := ""
	if _, e, self, ok := element(content, tagV); ok && !self {
		if ve := bytes.Index(content[e:], tagVEnd); ve >= 0 {
			v = xmlText(content[e : e+ve])
		}
	}
	switch typ {
	case "s":
		if v == "" {
			return "", formula
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(fs.sst) {
			return "", formula
		}
		return fs.sst[i], formula
	case "inlineStr":
		if _, e, self, ok := element(content, tagIS); ok {
			if self {
				return "", formula
			}
			ie := bytes.Index(content[e:], tagISEnd)
			if ie < 0 {
				return v, formula
			}
			return richText(content[e : e+ie]), formula
		}
		return v, formula
	}
	return v, formula
}

// readSharedStrings reads the workbook's shared strings, in order.
func readSharedStrings(b []byte) []string {
	var out []string
	for {
		_, e, self, ok := element(b, []byte("<si"))
		if !ok {
			return out
		}
		if self {
			out = append(out, "")
			b = b[e:]
			continue
		}
		end := bytes.Index(b[e:], []byte("</si>"))
		if end < 0 {
			return out
		}
		out = append(out, richText(b[e:e+end]))
		b = b[e+end+len("</si>"):]
	}
}

// richText is the text of a string item: its own <t> and those of its
// runs, not its phonetic runs (<rPh>).
func richText(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		ts, te, tself, tok := element(b, tagT)
		ps, pe, pself, pok := element(b, tagRPh)
		if pok && (!tok || ps < ts) {
			if pself {
				b = b[pe:]
				continue
			}
			end := bytes.Index(b[pe:], tagRPhEnd)
			if end < 0 {
				break
			}
			b = b[pe+end+len(tagRPhEnd):]
			continue
		}
		if !tok {
			break
		}
		if tself {
			b = b[te:]
			continue
		}
		end := bytes.Index(b[te:], tagTEnd)
		if end < 0 {
			break
		}
		sb.WriteString(xmlText(b[te : te+end]))
		b = b[te+end+len(tagTEnd):]
	}
	if sb.Len() == 0 {
		return ""
	}
	return unescapeBSTR(sb.String())
}

// xmlText is character data as encoding/xml reads it: line ends made
// "\n", then entities and character references replaced.
func xmlText(b []byte) string {
	s := string(b)
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return s
}

var bstrRe = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)

// unescapeBSTR replaces the "_xHHHH_" escapes of OOXML strings, as
// excelize does.
func unescapeBSTR(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	return bstrRe.ReplaceAllStringFunc(s, func(m string) string {
		if m == "_x005F_" {
			return "_"
		}
		v, err := strconv.Unquote(`"\u` + m[2:6] + `"`)
		if err != nil {
			return m
		}
		return v
	})
}
