const SparkPost = require('sparkpost');
const client = new SparkPost('46cab803e74552bc0f8d5907f401fe41f5191354');
