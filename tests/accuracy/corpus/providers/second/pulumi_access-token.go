package config

var (
	pulumiAccessToken = "pul-23e9e6f923b2a3165f052f7a3b39398add3b0a2b"
)
