package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 description of the whole API (openapi.json),
// held true to the router by TestOpenAPIMatchesRoutes.
//
//go:embed openapi.json
var OpenAPI []byte
