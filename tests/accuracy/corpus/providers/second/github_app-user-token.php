<?php

define('GITHUB_USER_TOKEN', 'ghu_UrxqaQgh1arUtHALr89RbL3vf5Dw7o3rILYv');
