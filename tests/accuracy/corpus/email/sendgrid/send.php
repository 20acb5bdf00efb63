<?php
require 'vendor/autoload.php';

$sendgrid = new \SendGrid('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');
