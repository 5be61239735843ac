package ingest

import (
	"strings"

	"github.com/twinmetrics/twinmetrics/locale"
)

// The messages the upload pipeline says, declared once; their text is in
// the message catalogue (package locale).

// What is wrong in a row.
var (
	probCityEmpty         = locale.Define("upload.problem.city_empty")
	probCityAmbiguous     = locale.Define("upload.problem.city_ambiguous", "Value", "Candidates")
	probUnknownCity       = locale.Define("upload.problem.unknown_city", "Value")
	probIndicatorEmpty    = locale.Define("upload.problem.indicator_empty")
	probUnknownIndicator  = locale.Define("upload.problem.unknown_indicator", "Value")
	probIndicatorDerived  = locale.Define("upload.problem.indicator_derived", "Indicator")
	probUnknownFlag       = locale.Define("upload.problem.unknown_flag", "Flags")
	probValueEmpty        = locale.Define("upload.problem.value_empty")
	probDecimalComma      = locale.Define("upload.problem.decimal_comma", "Value")
	probNotANumber        = locale.Define("upload.problem.not_a_number", "Value")
	probYearRange         = locale.Define("upload.problem.year_range", "Year")
	probYearEmpty         = locale.Define("upload.problem.year_empty")
	probNotAYear          = locale.Define("upload.problem.not_a_year", "Value")
	probTooLong           = locale.Define("upload.problem.too_long", "Column", "Length", "Max")
	probControlChar       = locale.Define("upload.problem.control_char", "Column", "Char")
	probExtraFields       = locale.Define("upload.problem.extra_fields", "Fields", "Header")
	probUnitEmpty         = locale.Define("upload.problem.unit_empty")
	probUnknownUnit       = locale.Define("upload.problem.unknown_unit", "Value")
	probUnitMismatch      = locale.Define("upload.problem.unit_mismatch", "Unit", "Target", "Indicator")
	probSourceEmpty       = locale.Define("upload.problem.source_empty")
	probSourceCode        = locale.Define("upload.problem.source_code", "Value")
	probUnknownSource     = locale.Define("upload.problem.unknown_source", "Value")
	probNoteFormula       = locale.Define("upload.problem.note_formula", "Char")
	probShareRange        = locale.Define("upload.problem.share_range", "Indicator", "Value")
	probNegative          = locale.Define("upload.problem.negative", "Indicator")
	probNegativeEmissions = locale.Define("upload.problem.negative_emissions")
	probFutureYear        = locale.Define("upload.problem.future_year", "Year")
	probDuplicate         = locale.Define("upload.problem.duplicate", "Line", "City", "Indicator", "Year")
	probFarAbove          = locale.Define("upload.problem.far_above", "Value", "Indicator", "City", "Median", "Unit")
	probFarBelow          = locale.Define("upload.problem.far_below", "Value", "Indicator", "City", "Median", "Unit")
	probSourceURL         = locale.Define("upload.problem.source_url")
	probSourceDiffers     = locale.Define("upload.problem.source_differs", "Line", "Code")
)

// How to fix a row.
var (
	hintCityEmpty                  = locale.Define("upload.hint.city_empty")
	hintCityAmbiguous              = locale.Define("upload.hint.city_ambiguous")
	hintUnknownCity                = locale.Define("upload.hint.unknown_city")
	hintUnknownCitySuggest         = locale.Define("upload.hint.unknown_city_suggest", "Suggestions")
	hintIndicatorEmpty             = locale.Define("upload.hint.indicator_empty")
	hintUnknownIndicator           = locale.Define("upload.hint.unknown_indicator")
	hintUnknownIndicatorSuggest    = locale.Define("upload.hint.unknown_indicator_suggest", "Suggestions")
	hintIndicatorDerived           = locale.Define("upload.hint.indicator_derived")
	hintIndicatorDerivedComponents = locale.Define("upload.hint.indicator_derived_components", "Numerator", "Denominator")
	hintUnknownFlag                = locale.Define("upload.hint.unknown_flag", "Codes")
	hintValueEmpty                 = locale.Define("upload.hint.value_empty")
	hintDecimalComma               = locale.Define("upload.hint.decimal_comma", "Fixed")
	hintNotANumber                 = locale.Define("upload.hint.not_a_number")
	hintNotANumberThousands        = locale.Define("upload.hint.not_a_number_thousands")
	hintNotANumberPercent          = locale.Define("upload.hint.not_a_number_percent")
	hintYear                       = locale.Define("upload.hint.year")
	hintYearTypo                   = locale.Define("upload.hint.year_typo", "Suggestion")
	hintNotAYear                   = locale.Define("upload.hint.not_a_year")
	hintTooLong                    = locale.Define("upload.hint.too_long")
	hintControlChar                = locale.Define("upload.hint.control_char")
	hintExtraFields                = locale.Define("upload.hint.extra_fields")
	hintExtraFieldsComma           = locale.Define("upload.hint.extra_fields_comma")
	hintUnitEmpty                  = locale.Define("upload.hint.unit_empty")
	hintUnknownUnit                = locale.Define("upload.hint.unknown_unit")
	hintUnknownUnitAccepted        = locale.Define("upload.hint.unknown_unit_accepted", "Units")
	hintUnitMismatch               = locale.Define("upload.hint.unit_mismatch", "Units")
	hintSourceEmpty                = locale.Define("upload.hint.source_empty")
	hintSourceCode                 = locale.Define("upload.hint.source_code")
	hintUnknownSource              = locale.Define("upload.hint.unknown_source")
	hintNoteFormula                = locale.Define("upload.hint.note_formula")
	hintShareRange                 = locale.Define("upload.hint.share_range")
	hintNegative                   = locale.Define("upload.hint.negative")
	hintNegativeEmissions          = locale.Define("upload.hint.negative_emissions")
	hintFutureYear                 = locale.Define("upload.hint.future_year")
	hintDuplicate                  = locale.Define("upload.hint.duplicate")
	hintFarOff                     = locale.Define("upload.hint.far_off")
	hintSourceURL                  = locale.Define("upload.hint.source_url")
	hintSourceDiffers              = locale.Define("upload.hint.source_differs")
)

// Why a file cannot be read.
var (
	fileEmptyFile                   = locale.Define("upload.file.empty_file", "Name")
	fileEmpty                       = locale.Define("upload.file.empty")
	fileEmptySheet                  = locale.Define("upload.file.empty_sheet", "Sheet")
	fileXLS                         = locale.Define("upload.file.xls")
	filePdf                         = locale.Define("upload.file.pdf")
	fileUTF16                       = locale.Define("upload.file.utf16")
	fileBinary                      = locale.Define("upload.file.binary")
	fileHTML                        = locale.Define("upload.file.html")
	fileLineTooLong                 = locale.Define("upload.file.line_too_long", "Line", "Length", "Max")
	fileEncoding                    = locale.Define("upload.file.encoding", "Line")
	fileNulByte                     = locale.Define("upload.file.nul_byte", "Line")
	fileTooManyRows                 = locale.Define("upload.file.too_many_rows", "Max")
	fileTabSeparated                = locale.Define("upload.file.tab_separated")
	fileCSVSyntax                   = locale.Define("upload.file.csv_syntax", "Line", "Column", "Detail")
	fileNoHeader                    = locale.Define("upload.file.no_header")
	fileDuplicateHeader             = locale.Define("upload.file.duplicate_header", "Columns")
	fileMissingColumns              = locale.Define("upload.file.missing_columns", "Missing")
	fileMissingColumnsUnknown       = locale.Define("upload.file.missing_columns_unknown", "Missing", "Unknown")
	fileMissingColumnsLayout        = locale.Define("upload.file.missing_columns_layout", "Missing")
	fileMissingColumnsUnknownLayout = locale.Define("upload.file.missing_columns_unknown_layout", "Missing", "Unknown")
	fileUnknownColumns              = locale.Define("upload.file.unknown_columns", "Unknown")
	fileXLSXDamagedAt               = locale.Define("upload.file.xlsx_damaged_at", "Sheet", "Row")
	fileXLSXDamagedAfter            = locale.Define("upload.file.xlsx_damaged_after", "Sheet", "Row")
	fileXLSXDamaged                 = locale.Define("upload.file.xlsx_damaged")
	fileXLSXUnopenable              = locale.Define("upload.file.xlsx_unopenable")
	fileXLSXNoSheet                 = locale.Define("upload.file.xlsx_no_sheet")
	fileXLSXSheetDamaged            = locale.Define("upload.file.xlsx_sheet_damaged", "Sheet")
	fileNoRows                      = locale.Define("upload.file.no_rows")
	fileTooLarge                    = locale.Define("upload.file.too_large", "MB")
)

// How to fix a file.
var (
	fileHintSaveAs          = locale.Define("upload.file_hint.save_as")
	fileHintEmpty           = locale.Define("upload.file_hint.empty")
	fileHintEmptySheet      = locale.Define("upload.file_hint.empty_sheet")
	fileHintSplit           = locale.Define("upload.file_hint.split")
	fileHintHTML            = locale.Define("upload.file_hint.html")
	fileHintLineTooLong     = locale.Define("upload.file_hint.line_too_long")
	fileHintCSVSyntax       = locale.Define("upload.file_hint.csv_syntax")
	fileHintFirstLine       = locale.Define("upload.file_hint.first_line", "Columns")
	fileHintTemplateColumns = locale.Define("upload.file_hint.template_columns", "Columns")
	fileHintDuplicateHeader = locale.Define("upload.file_hint.duplicate_header")
	fileHintXLSXNoSheet     = locale.Define("upload.file_hint.xlsx_no_sheet")
	fileHintNoRows          = locale.Define("upload.file_hint.no_rows")
)

// Why a publish or a rollback is refused.
var (
	refusedAlreadyPublished = locale.Define("upload.refused.already_published", "ID")
	refusedFileError        = locale.Define("upload.refused.file_error")
	refusedNotChecked       = locale.Define("upload.refused.not_checked", "State")
	refusedRejected         = locale.Define("upload.refused.rejected", "Count")
	refusedWarnings         = locale.Define("upload.refused.warnings", "Count")
	refusedNothing          = locale.Define("upload.refused.nothing")
	refusedDataChanged      = locale.Define("upload.refused.data_changed", "Version", "Now")
	refusedReplacedChanged  = locale.Define("upload.refused.replaced_changed", "Count")
	refusedSourceAdded      = locale.Define("upload.refused.source_added", "Code")
	refusedSeed             = locale.Define("upload.refused.seed", "ID")
	refusedNotPublished     = locale.Define("upload.refused.not_published", "ID", "Status")
	refusedLaterUploads     = locale.Define("upload.refused.later_uploads", "ID", "Later")
)

// Why a check stopped.
var (
	failureInterrupted = locale.Define("upload.failure.interrupted")
	failureInternal    = locale.Define("upload.failure.internal")
)

// Why a pending upload cannot be changed now.
var (
	errDiscardPublished = locale.Define("upload.error.discard_published")
	errDiscardChecking  = locale.Define("upload.error.discard_checking")
	errAlreadyChecking  = locale.Define("upload.error.already_checking")
)

// Where a row is.
var (
	whereLine = locale.Define("upload.line_n", "Line")
	whereRow  = locale.Define("upload.row_n", "Line")
)

func ref(m locale.Message) *locale.Message { return &m }

// stateNames name the states of an upload and of a row.
var stateNames = map[string]locale.Key{
	StateReceived:   locale.Define("upload.state.received"),
	StateValidating: locale.Define("upload.state.validating"),
	StateReady:      locale.Define("upload.state.ready"),
	StateFailed:     locale.Define("upload.state.failed"),
	StatePublished:  locale.Define("upload.state.published"),
	StatePublishing: locale.Define("upload.state.publishing"),
	StateDiscarded:  locale.Define("upload.state.discarded"),
	"rolled_back":   locale.Define("upload.state.rolled_back"),
	RowNew:          locale.Define("upload.state.new"),
	RowChanged:      locale.Define("upload.state.changed"),
	RowUnchanged:    locale.Define("upload.state.unchanged"),
	RowRejected:     locale.Define("upload.state.rejected"),
}

// StateName names the state of an upload or a row ("ready",
// "rolled_back", "rejected").
func StateName(s string) locale.Message {
	if k, ok := stateNames[s]; ok {
		return k.With()
	}
	return stateOther.With(strings.ReplaceAll(s, "_", " "))
}

// stateOther names a state no message names.
var stateOther = locale.Define("upload.state.other", "State")

// templateInstructions explain the upload format in the XLSX template,
// one paragraph a line.
var templateInstructions = []locale.Key{
	locale.Define("upload.template.title"),
	locale.Define("upload.template.layout"),
	locale.Define("upload.template.city"),
	locale.Define("upload.template.indicator"),
	locale.Define("upload.template.year"),
	locale.Define("upload.template.value"),
	locale.Define("upload.template.unit"),
	locale.Define("upload.template.source"),
	locale.Define("upload.template.flags"),
	locale.Define("upload.template.note"),
	locale.Define("upload.template.rules"),
	locale.Define("upload.template.save"),
}

// What the mapping step says of a mapping that cannot read the file.
var (
	mapErrHeaderLine = locale.Define("map.error.header_line")
	mapErrRoleTwice  = locale.Define("map.error.role_twice", "Role")
	mapErrRoleNone   = locale.Define("map.error.role_missing", "Role")
	mapErrYear       = locale.Define("map.error.year")
	mapErrIndicator  = locale.Define("map.error.indicator", "Code")
	mapErrUnit       = locale.Define("map.error.unit", "Unit")
	mapErrSource     = locale.Define("map.error.source", "Code")
	mapErrUnnamed    = locale.Define("map.error.unnamed_column", "Column")
	mapErrSameName   = locale.Define("map.error.same_name", "Column", "Other", "Name")
)

// What a workbook that unpacks to too much is told.
var (
	fileXLSXParts        = locale.Define("upload.file.xlsx_parts", "Count", "Max")
	fileXLSXRatio        = locale.Define("upload.file.xlsx_ratio", "Part", "MB", "KB")
	fileXLSXUnpacked     = locale.Define("upload.file.xlsx_unpacked", "MB", "Max")
	fileXLSXInMemory     = locale.Define("upload.file.xlsx_in_memory", "MB", "Max")
	fileHintXLSXUnpacked = locale.Define("upload.file_hint.xlsx_unpacked")
	fileQuota            = locale.Define("upload.file.quota", "Count", "MB", "MaxCount", "MaxMB")
	fileHintQuota        = locale.Define("upload.file_hint.quota")
)

// Why an action on an upload is refused.
var (
	errCheckPublished = locale.Define("upload.error.check_published")
	errPublishing     = locale.Define("upload.error.publishing")
	errDiscarded      = locale.Define("upload.error.discarded")
	errStateOther     = locale.Define("upload.error.state", "State")
)

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
