package config

var (
	renderApiKey = "rnd_CYeiUugh85LuETERAsCzrtunqFtZYT5S"
)
