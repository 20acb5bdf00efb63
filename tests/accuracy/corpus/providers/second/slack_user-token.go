package config

var (
	slackUserToken = "xoxp-46549160462-017012151182-7844854261734-e23bd7d6ad5c5ffa6d42cec9b58d1152"
)
