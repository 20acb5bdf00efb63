import boto3

s3 = boto3.client(
    's3',
    aws_access_key_id='AKIAVN6F3KWGFX5DHAUI',
    aws_secret_access_key='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',
)
