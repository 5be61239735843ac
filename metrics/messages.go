package metrics

import "github.com/twinmetrics/twinmetrics/locale"

// The messages this package says, declared once; their text is in the
// message catalogue (package locale).

// What the catalogue says of a bad field.
var (
	catSlugCity      = locale.Define("catalogue.error.slug_city")
	catSlug          = locale.Define("catalogue.error.slug")
	catName          = locale.Define("catalogue.error.name")
	catISO3          = locale.Define("catalogue.error.iso3")
	catKind          = locale.Define("catalogue.error.kind")
	catLatitude      = locale.Define("catalogue.error.latitude")
	catLongitude     = locale.Define("catalogue.error.longitude")
	catIndicatorCode = locale.Define("catalogue.error.indicator_code")
	catSourceCode    = locale.Define("catalogue.error.source_code")
	catUnit          = locale.Define("catalogue.error.unit")
	catUnitFixed     = locale.Define("catalogue.error.unit_fixed")
	catDirection     = locale.Define("catalogue.error.direction")
	catRequired      = locale.Define("catalogue.error.required")
	catURL           = locale.Define("catalogue.error.url")
	catOneOf         = locale.Define("catalogue.error.one_of", "List")
	catAliasTaken    = locale.Define("catalogue.error.alias_taken", "Alias", "Name")
	catNoCity        = locale.Define("catalogue.error.no_city", "Slug")
	catListedTwice   = locale.Define("catalogue.error.listed_twice", "Slug")
	catCitySlugs     = locale.Define("catalogue.error.city_slugs")
)

// A field holding an invisible text-direction control (bidi.go).
var catBidi = locale.Define("catalogue.error.bidi", "Char")

// What is wrong with a profile's name, title or body.
var (
	profBadName  = locale.Define("map.save.bad_name")
	profBadTitle = locale.Define("map.save.bad_title")
	profBadBody  = locale.Define("map.save.bad_body")
)

// What the accounts say to a person.
var (
	msgBadCredentials = locale.Define("login.error.bad_credentials")
	msgThrottled      = locale.Define("login.error.throttled", "Seconds")
	msgCurrentWrong   = locale.Define("users.error.current_wrong")
	msgPasswordLong   = locale.Define("users.error.password_long")
	msgPasswordShort  = locale.Define("users.error.password_short", "Min")
	msgNotEmail       = locale.Define("users.error.not_email", "Email")
	msgBadRole        = locale.Define("users.error.bad_role", "Role")
	msgUserExists     = locale.Define("users.error.exists", "Email")
	msgNoUser         = locale.Define("users.error.no_user", "Email")
)
