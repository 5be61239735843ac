package dashboard

import (
	"crypto/subtle"
	"errors"
	"github.com/twinmetrics/twinmetrics/ingest"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// receiveFile streams the multipart field "file" into a pending upload,
// without holding it in memory, and refuses a body over the size limit.
func (s *Server) receiveFile(c echo.Context) (*ingest.Pending, error) {
	req := c.Request()
	lim := s.uploads.Limits()
	// Say so before reading a body that announces itself as too large.
	if req.ContentLength > lim.MaxBytes+1<<20 {
		return nil, ingest.TooLarge(lim.MaxBytes)
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, lim.MaxBytes+1<<20)
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, &ingest.FileError{Code: "no_file", Message: fileNoFile.With(), Hint: fileHintNoFileMultipart.With()}
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, &ingest.FileError{Code: "no_file", Message: fileNoFile.With(), Hint: fileHintChooseFile.With()}
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, ingest.TooLarge(lim.MaxBytes)
			}
			return nil, cutOff()
		}
		want, checkToken := c.Get(csrfInBody).(string)
		if part.FormName() == csrfField && checkToken {
			got, _ := io.ReadAll(io.LimitReader(part, 256))
			part.Close()
			if subtle.ConstantTimeCompare(got, []byte(want)) == 1 {
				c.Set(csrfInBody, nil)
			}
			continue
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		if checkToken {
			// No token before the file: the file is not read.
			return nil, errFormExpired
		}
		return s.receivePart(c, part, lim)
	}
}

func (s *Server) receivePart(c echo.Context, part *multipart.Part, lim ingest.Limits) (*ingest.Pending, error) {
	defer part.Close()
	name := part.FileName()
	if strings.TrimSpace(name) == "" {
		return nil, &ingest.FileError{Code: "no_file", Message: fileNoFileChosen.With(), Hint: fileHintChooseCSVXLSX.With()}
	}
	p, err := s.uploads.Receive(c.Request().Context(), part, name, *currentUser(c))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, ingest.TooLarge(lim.MaxBytes)
	}
	if errors.Is(err, ingest.ErrCutOff) {
		return nil, cutOff()
	}
	return p, err
}

func cutOff() *ingest.FileError {
	return &ingest.FileError{Code: "bad_request", Message: fileBadRequest.With(), Hint: fileHintTryAgain.With()}
}

// fileErrorStatus is the HTTP status of a refused file: 413 for one too
// large (or unpacking to too much), 400 for a body cut off, 409 when the
// sender's pending uploads fill their quota, 422 for a file that arrived
// but cannot be used.
func fileErrorStatus(fe *ingest.FileError) int {
	switch fe.Code {
	case "too_large":
		return http.StatusRequestEntityTooLarge
	case "bad_request":
		return http.StatusBadRequest
	case "quota":
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// receiveUpload takes a file from the upload page and starts its check
// in the background. The page's script gets JSON and follows the
// progress; without a script the browser is sent to the preview page,
// which refreshes until the check is done.
func (s *Server) receiveUpload(c echo.Context) error {
	p, err := s.receiveFile(c)
	wantJSON := strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		if wantJSON {
			// text is the error in the reader's language, for the page's script.
			loc := s.locale(c)
			return c.JSON(fileErrorStatus(fe), map[string]any{"state": ingest.StateFailed, "file_error": fe,
				"text": loc.Say(fe.Message) + " " + loc.T("upload.how_to_fix_it") + " " + loc.Say(fe.Hint)})
		}
		v := s.view(c, "upload")
		v.Title = v.Loc.T("upload.refused_title")
		v.Data = &uploadPage{P: &ingest.Pending{State: ingest.StateFailed, FileError: fe}}
		return s.render(c, fileErrorStatus(fe), "upload", v)
	}
	if err != nil {
		return err
	}
	s.uploads.CheckAsync(p.Key)
	if wantJSON {
		return c.JSON(http.StatusAccepted, map[string]any{
			"id": p.Key, "state": p.State,
			"progress_url": "/admin/uploads/" + p.Key + "/progress",
			"preview_url":  "/admin/uploads/" + p.Key,
		})
	}
	return c.Redirect(http.StatusSeeOther, "/admin/uploads/"+p.Key)
}

// showProgress answers the upload page's polling: how many bytes and
// rows have been checked.
func (s *Server) showProgress(c echo.Context) error {
	pv, err := s.uploads.ProgressOf(c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, pv)
}
