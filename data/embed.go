// Package data holds the seed: real, published figures for the World
// Cities programme cities (see PROVENANCE.md in the shared data folder),
// with the catalogue of areas, indicators, sources and flags that gives
// them meaning. The files are embedded so that the binary seeds itself.
package data

import "embed"

// Files are the seed CSV files.
//
//go:embed *.csv
var Files embed.FS

// Profiles are the shipped import profiles (profiles/*.json), one per
// publisher layout; see docs/import-profiles.md.
//
//go:embed profiles/*.json
var Profiles embed.FS

// Raw are the publisher files the seed imports through their profiles,
// as published (raw_seed.csv lists them; raw/PROVENANCE.md says where
// each came from).
//
//go:embed raw/un_wup2018/WUP2018-F12-Cities_Over_300K.data.csv raw/eurostat/urb_ctran.xlsx raw/cdp/*.csv
//go:embed raw/c40/C40_GPC_Database.xlsx raw/carbon_monitor_cities/*.csv raw/ghs_ucdb_subset/indicators_catalogue_countries.csv raw/eurostat_energy/nrg_ind_ren.csv
var Raw embed.FS
