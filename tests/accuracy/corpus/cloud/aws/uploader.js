const { S3Client } = require('@aws-sdk/client-s3');
const s3 = new S3Client({
  region: 'eu-west-1',
  credentials: {
    accessKeyId: 'AKIA4ZB2COTU7WW5MJLB',
    secretAccessKey: '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',
  },
});
