package metrics

// Warning kinds about the kind of source of two compared values.
const (
	// WarnKinds: one side is a modelled estimate, the other what the
	// city reports or official statistics.
	WarnKinds = "kinds"
	// WarnModelledDatasets: both sides are modelled, by different
	// datasets; a modelled comparison uses one dataset for both sides.
	WarnModelledDatasets = "modelled_datasets"
)

// KindWarnings says when two values are not of the same kind: a
// reported value is never set against a modelled one without a visible
// warning, and two modelled values compare only within one dataset.
func KindWarnings(a, b SideValue) []Warning {
	ma, mb := a.Point.Obs.Modelled(), b.Point.Obs.Modelled()
	switch {
	case ma != mb:
		return []Warning{{Kind: WarnKinds, A: a, B: b}}
	case ma && mb && a.Point.Obs.SourceCode.String != b.Point.Obs.SourceCode.String:
		return []Warning{{Kind: WarnModelledDatasets, A: a, B: b}}
	}
	return nil
}
