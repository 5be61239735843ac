package ingest

import "github.com/twinmetrics/twinmetrics/locale"

// What an upload read with an import profile can say.
var (
	fileProfileFormat          = locale.Define("upload.file.profile_format", "Profile", "Want", "Got")
	fileProfileSheet           = locale.Define("upload.file.profile_sheet", "Sheet", "Profile", "Key", "Sheets")
	fileProfileNoHeader        = locale.Define("upload.file.profile_no_header", "Line", "Profile")
	fileProfileCell            = locale.Define("upload.file.profile_cell", "Cell", "Sheet", "Profile")
	fileProfileColumn          = locale.Define("upload.file.profile_column", "Column", "Profile", "Key")
	fileProfileNoYearColumns   = locale.Define("upload.file.profile_no_year_columns", "Profile")
	fileProfileNoMeasure       = locale.Define("upload.file.profile_no_measure", "Profile", "Columns")
	fileProfileCatalogue       = locale.Define("upload.file.profile_catalogue", "Profile", "Problems")
	fileProfileMismatch        = locale.Define("upload.file.profile_mismatch", "Profile", "Columns")
	fileProfileMismatchRelease = locale.Define("upload.file.profile_mismatch_release", "Profile", "Columns")
	fileProfileMismatchSheet   = locale.Define("upload.file.profile_mismatch_sheet", "Sheet", "Profile", "Columns")
	fileUnknownProfile         = locale.Define("upload.file.unknown_profile", "Profile")

	fileHintProfileUpload    = locale.Define("upload.file_hint.profile_upload")
	fileHintProfileNoMeasure = locale.Define("upload.file_hint.profile_no_measure")
	fileHintProfileCatalogue = locale.Define("upload.file_hint.profile_catalogue")
	fileHintUnknownProfile   = locale.Define("upload.file_hint.unknown_profile", "Profiles")
)
