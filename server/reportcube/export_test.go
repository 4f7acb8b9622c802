package reportcube

// MinChunk lets the tests split the small test city's scans across CPUs.
var MinChunk = &minChunk
