package config

var (
	githubToken = "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"
)
