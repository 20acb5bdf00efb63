package config

var (
	mgKey = "key-368022f4695c5573d23969c71789c00c"
)
