const postmark = require('postmark');

const client = new postmark.ServerClient("e4daff52-eab6-4fca-816a-f4710f7ed6c0");
