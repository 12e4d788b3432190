package api

import _ "embed"

// pageHTML is the live page: one self-contained file (inline CSS and JS,
// no external resources) that polls /v1/series and /v1/status.
//
//go:embed page.html
var pageHTML []byte
