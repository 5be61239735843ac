package dashboard

import "github.com/twinmetrics/twinmetrics/locale"

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
