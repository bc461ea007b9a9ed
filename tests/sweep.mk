# The ec2 plugin's AWS side and fleet sweeper: the fake EC2 (Node.js; every
# signature verified with the npm package aws4, fetched by tests/ec2/aws4.py),
# CUnit tests of the XML reader, credentials and sweeper decisions, and an
# integration test of the real agent sweeping against the fakes.
EXTRA_DIST += tests/ec2/fakeec2.js tests/ec2/fakeec2.py tests/ec2/aws4.py
