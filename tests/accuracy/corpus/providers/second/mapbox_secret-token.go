package config

var (
	mapboxSecretToken = "sk.eyJ1Ijoibm9ydGh3aW5kIiwiYSI6IM6ZoP720aJKxS1DGpoSOWJk5BSPoX1.FP_jMOkSp9scyObVtcRVor"
)
