package ingest

import (
	"archive/zip"
	"encoding/binary"
	"io"
	"os"
	"strings"

	"github.com/twinmetrics/twinmetrics/locale"
)

// An XLSX workbook is a zip archive of XML parts. A small file can
// declare parts that unpack to gigabytes (a "zip bomb"); excelize holds
// most parts in memory and writes large worksheets to temporary files,
// so what a workbook may unpack to is checked from the archive's
// central directory before anything is inflated. archive/zip (which
// excelize uses) refuses a part that inflates to more than its declared
// size, so the declared sizes bound the real ones.
const (
	// maxXLSXParts is how many parts a workbook may have (a template
	// workbook has about 20).
	maxXLSXParts = 256
	// xlsxTempPart is the size from which excelize writes a worksheet to
	// a temporary file instead of memory (its UnzipXMLSizeLimit).
	xlsxTempPart = 16 << 20
	// maxXLSXInMemory bounds the parts excelize reads into memory: every
	// part but the worksheets of xlsxTempPart or more.
	maxXLSXInMemory = 32 << 20
	// maxXLSXRatio is the most a part over 1 MiB may shrink when
	// compressed: spreadsheet XML shrinks 5 to 30 times, zeros a
	// thousand times.
	maxXLSXRatio = 200
)

// maxXLSXUnpacked is what all parts of a workbook may unpack to
// together, the temporary files included.
func maxXLSXUnpacked(lim Limits) int64 { return lim.MaxBytes * 4 }

// checkXLSXArchive reads the central directory of the workbook at path
// and refuses one whose parts are too many, too large or compressed too
// well to be a spreadsheet. It inflates nothing, and reads the count of
// parts before the directory itself, so its memory stays small whatever
// the archive declares.
func checkXLSXArchive(path string, lim Limits) (*FileError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	n, ok := zipEntryCount(f, fi.Size())
	if !ok {
		return damagedXLSX(), nil
	}
	if n > maxXLSXParts {
		return bombXLSX(fileXLSXParts.With(n, maxXLSXParts)), nil
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return damagedXLSX(), nil
	}
	if len(zr.File) > maxXLSXParts {
		return bombXLSX(fileXLSXParts.With(len(zr.File), maxXLSXParts)), nil
	}
	var total, inMemory uint64
	for _, zf := range zr.File {
		size := zf.UncompressedSize64
		total += size
		sheet := strings.HasPrefix(zf.Name, "xl/worksheets/") && strings.HasSuffix(zf.Name, ".xml")
		if !sheet || size < xlsxTempPart {
			inMemory += size
		}
		if size > 1<<20 && size/max(zf.CompressedSize64, 1) > maxXLSXRatio {
			return bombXLSX(fileXLSXRatio.With(clip(zf.Name), size>>20, zf.CompressedSize64>>10)), nil
		}
	}
	if limit := uint64(maxXLSXUnpacked(lim)); total > limit {
		return bombXLSX(fileXLSXUnpacked.With(total>>20, limit>>20)), nil
	}
	if inMemory > maxXLSXInMemory {
		return bombXLSX(fileXLSXInMemory.With(inMemory>>20, maxXLSXInMemory>>20)), nil
	}
	return nil, nil
}

func damagedXLSX() *FileError {
	return fileErr("xlsx_damaged", fileXLSXUnopenable.With(), fileHintSaveAs.With())
}

// bombXLSX refuses a workbook that would unpack to too much; it is
// reported as too large (413 where the answer is HTTP).
func bombXLSX(msg locale.Message) *FileError {
	return fileErr("too_large", msg, fileHintXLSXUnpacked.With())
}

// zipEntryCount reads the number of entries from the end of the zip
// archive (the end of central directory record, or its zip64 form),
// without reading the directory.
func zipEntryCount(r io.ReaderAt, size int64) (uint64, bool) {
	const eocdLen = 22
	if size < eocdLen {
		return 0, false
	}
	// The record ends the file, after a comment of at most 65,535 bytes.
	tail := min(size, eocdLen+65535)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, false
	}
	at := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == 0x06054b50 {
			at = i
			break
		}
	}
	if at < 0 {
		return 0, false
	}
	n := uint64(binary.LittleEndian.Uint16(buf[at+10:]))
	if n != 0xFFFF {
		return n, true
	}
	// zip64: a locator just before the record points to the zip64
	// end of central directory record.
	if at < 20 || binary.LittleEndian.Uint32(buf[at-20:]) != 0x07064b50 {
		return 0, false
	}
	off := int64(binary.LittleEndian.Uint64(buf[at-20+8:]))
	rec := make([]byte, 56)
	if off < 0 || off > size-56 {
		return 0, false
	}
	if _, err := r.ReadAt(rec, off); err != nil || binary.LittleEndian.Uint32(rec) != 0x06064b50 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(rec[32:]), true
}
