package dashboard

import "github.com/twinmetrics/twinmetrics/locale"

// Why a request was refused.
var (
	msgSignInFirst   = locale.Define("staff.error.sign_in_first")
	msgFormExpired   = locale.Define("staff.error.form_expired")
	msgAdminsOnly    = locale.Define("staff.error.admins_only")
	msgLoginExpired  = locale.Define("login.error.expired")
	msgBearerHeader  = locale.Define("api.error.bearer_header")
	msgTokenUnknown  = locale.Define("api.error.token_unknown")
	msgSendToken     = locale.Define("api.error.send_token")
	msgCSRFHeader    = locale.Define("api.error.csrf_header")
	msgUploadRate    = locale.Define("upload.error.rate")
	msgNothingStored = locale.Define("api.detail.not_found")
	msgNoEndpoint    = locale.Define("api.detail.no_endpoint")
	// msgMethodNotAllowed: a known address asked with another method.
	msgMethodNotAllowed = locale.Define("api.detail.method_not_allowed", "Allow")
)

// Why an uploaded file was not received.
var (
	fileNoFile              = locale.Define("upload.file.no_file")
	fileNoFileChosen        = locale.Define("upload.file.no_file_chosen")
	fileBadRequest          = locale.Define("upload.file.bad_request")
	fileHintNoFileMultipart = locale.Define("upload.file_hint.no_file_multipart")
	fileHintChooseFile      = locale.Define("upload.file_hint.choose_file")
	fileHintChooseCSVXLSX   = locale.Define("upload.file_hint.choose_csv_xlsx")
	fileHintTryAgain        = locale.Define("upload.file_hint.try_again")
)

// Problem documents: their titles and details, and why a parameter is
// not valid.
var (
	titleInvalidParam    = locale.Define("api.title.invalid_param")
	titleTooLarge        = locale.Define("api.title.too_large")
	titleNotFound        = locale.Define("api.title.not_found")
	detailInvalidParam   = locale.Define("api.detail.invalid_param", "Name", "Reason")
	detailTooLarge       = locale.Define("api.detail.too_large", "Count", "Max")
	reasonUnknownParam   = locale.Define("data.reason.unknown_param")
	reasonUnknownKnown   = locale.Define("data.reason.unknown_param_known", "Known")
	reasonNoParams       = locale.Define("data.reason.no_params")
	reasonUnknownCity    = locale.Define("data.reason.unknown_city", "Code")
	reasonUnknownPair    = locale.Define("data.reason.unknown_pair", "Code")
	reasonUnknownInd     = locale.Define("data.reason.unknown_indicator", "Code")
	reasonUnknownTheme   = locale.Define("data.reason.unknown_theme", "Code", "Themes")
	reasonUnknownSource  = locale.Define("data.reason.unknown_source", "Code")
	reasonYear           = locale.Define("data.reason.year", "Value")
	reasonEmptyRange     = locale.Define("data.reason.empty_range", "From", "To")
	reasonShown          = locale.Define("data.reason.shown", "Value")
	reasonFormatAPI      = locale.Define("data.reason.format_api", "Value")
	reasonFormatDownload = locale.Define("data.reason.format_download", "Value")
	reasonLimit          = locale.Define("data.reason.limit", "Max", "Value")
	reasonCursor         = locale.Define("data.reason.cursor")
)

// What the mapping step, the alias acceptance and the import profiles'
// pages and API say when they refuse.
var (
	msgMapDone          = locale.Define("map.error.upload_done")
	msgNoAliasTicked    = locale.Define("aliases.error.none")
	msgNoSuchChange     = locale.Define("profile.error.no_change")
	reasonProfileStatus = locale.Define("profiles.reason.status")
	reasonChangeNumber  = locale.Define("profiles.reason.change")
	reasonChangeOther   = locale.Define("profiles.reason.change_other")
	titleInvalidProfile = locale.Define("profiles.title.invalid")
	detailInvalidProf   = locale.Define("profiles.detail.invalid", "Schema", "Problems")
)

// A target kind the API does not know (api_targets.go).
var reasonUnknownKind = locale.Define("data.reason.unknown_kind", "Code", "Kinds")

// What the notice of a pinned page says changed since its version
// (pin.go, which names each kind of change).
var (
	pinChangeTouched    = locale.Define("pin.change.touched", "What")
	pinChangeEverything = locale.Define("pin.change.everything")
	reasonVersionKept   = locale.Define("data.reason.version_not_kept", "Value", "First", "Current")
	pinChangesMore      = locale.Define("pin.change.more", "N")
)
