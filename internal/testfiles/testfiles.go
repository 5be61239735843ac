// Package testfiles makes files for tests: upload workbooks, hostile ones
// that unpack to far more than they weigh, and edited copies of the
// publishers' files.
package testfiles

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Workbook is a valid upload workbook: a "data" sheet with the
// template's header and the given rows.
func Workbook(t testing.TB, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "data"); err != nil {
		t.Fatal(err)
	}
	all := append([][]any{{"city", "indicator", "year", "value", "unit", "source"}}, rows...)
	for i, r := range all {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("data", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Bomb is the workbook with a part of mib MiB of zeros: added under the
// name part, or put in place of the part of that name (the data sheet
// is xl/worksheets/sheet1.xml). It is about a thousandth of that size,
// as in the attack (a 1 MB workbook holding a 1,000 MiB part). The
// compressed zeros are one mebibyte's deflate output repeated, so the
// file is made in milliseconds.
func Bomb(t testing.TB, workbook []byte, part string, mib int) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(workbook), int64(len(workbook)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == part {
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	// One mebibyte of zeros, deflated and flushed to a byte boundary:
	// its output refers to nothing before it, so copies of it in a row
	// inflate to that many mebibytes.
	zeros := make([]byte, 1<<20)
	var chunk bytes.Buffer
	fw, _ := flate.NewWriter(&chunk, flate.BestCompression)
	fw.Write(zeros)
	fw.Flush()
	var end bytes.Buffer
	ew, _ := flate.NewWriter(&end, flate.BestCompression)
	ew.Close()
	crc := uint32(0)
	for range mib {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: part, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(chunk.Len()*mib + end.Len()), UncompressedSize64: uint64(mib) << 20})
	if err != nil {
		t.Fatal(err)
	}
	for range mib {
		w.Write(chunk.Bytes())
	}
	w.Write(end.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
