package config

var (
	githubClientSecret = "932ad22c04b9ced58130522ed7f5d4002904dbb1"

	stripeSecretKey = "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"

	npmToken = "npm_NVIvfqOGnWRb8l5OgOZZQLMrAwB0odu0UQ6o"

	hcloudToken = "WassPMm1eITsbIPp7dSGWNumpWz04ZMIm4CjaLP63zAUyebHL1byg6IGmLD13Hrx"

	sopsAgeKey = "AGE-SECRET-KEY-1046WT75E5059HN89K5D49F6CC4MUUEHV6J4NZA02QQX5EU2STWXQDM3AYL"

	mapboxSecretToken = "sk.eyJ1Ijoibm9ydGh3aW5kIiwiYSI6ILoTHpFUdUYM7WQ6zMCemxYwQZn4XT7.NPlVtrKWdnJE0qacWQZyT9"

)
