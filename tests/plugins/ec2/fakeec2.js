#!/usr/bin/env node
// A fake EC2 Query API (DescribeInstances only) on 127.0.0.1 for the ec2
// plugin's tests.  Every request's SigV4 signature is recomputed with the npm
// package aws4 (an implementation independent of libcurl's) and a mismatch is
// answered 401 AuthFailure, like EC2.
//
//   node fakeec2.js --aws4 DIR [--port N] [--port-file FILE]
//
// DIR holds aws4.js (tests/plugins/ec2/aws4.py prints it).  The region of a request is
// its credential scope's, so one fake serves every region.  Tests script it
// over a control API under /_fake/ (JSON in and out, unsigned; see
// tests/plugins/ec2/fakeec2.py for a Python client):
//
//   POST /_fake/reset                     forget everything (credentials too)
//   POST /_fake/credentials {accessKeyId, secretAccessKey, sessionToken?}
//   POST /_fake/instances {region, instances: {id: state | {state, code}},
//                          replace?: bool}      state names as EC2's
//   POST /_fake/remove {region, ids: [...]}     make instances absent
//   POST /_fake/faults {region | "*", faults: [{error, count?, status?,
//                       message?, delay_ms?}]}  replace the region's queue
//        error: an EC2 error code (AuthFailure 401, UnauthorizedOperation
//        403, RequestLimitExceeded 503, InternalError 500, Unavailable 503,
//        anything else 400), or "hang" (never answer until /_fake/release),
//        "garbage" (200, not XML), "truncated" (200, XML cut in half),
//        "delay" (answer normally after delay_ms).  count: how many
//        requests it applies to (default: every one).
//   POST /_fake/config {pageSize?, shuffle?, clockSkewS?}
//        pageSize: instances per page before nextToken (default 1000);
//        shuffle: child elements of each instance in random order;
//        clockSkewS: the fake's clock offset (RequestExpired tests).
//   POST /_fake/release                   end every hung request
//   GET  /_fake/stats                     counters per region and in total,
//                                         and the last 2000 requests
//   POST /_fake/stats/reset               zero the counters and the log
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const crypto = require('crypto');

function usage(msg) {
	process.stderr.write('fakeec2: ' + msg + '\n');
	process.exit(2);
}

const args = {port: 0, portFile: null, aws4: null};
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i];
	const v = process.argv[i + 1];
	if (a === '--port') { args.port = parseInt(v, 10); i++; }
	else if (a === '--port-file') { args.portFile = v; i++; }
	else if (a === '--aws4') { args.aws4 = v; i++; }
	else usage('unknown argument ' + a);
}
if (!args.aws4) usage('--aws4 DIR is required');
const aws4 = require(path.resolve(args.aws4, 'aws4.js'));

const STATE_CODES = {
	'pending': 0, 'running': 16, 'shutting-down': 32, 'terminated': 48,
	'stopping': 64, 'stopped': 80,
};
const ERROR_STATUS = {
	AuthFailure: 401, UnauthorizedOperation: 403, RequestLimitExceeded: 503,
	InternalError: 500, Unavailable: 503, ServiceUnavailable: 503,
};
const LOG_MAX = 2000;

let state;
function resetState() {
	state = {
		credentials: {},   // accessKeyId -> {secretAccessKey, sessionToken}
		regions: {},       // region -> {instances: Map id -> {state, code}, faults: []}
		anyFaults: [],     // faults for every region, after the region's own
		pageSize: 1000,
		shuffle: false,
		clockSkewS: 0,
	};
	resetStats();
}
let stats;
let log;
function resetStats() {
	stats = {total: newCounters(), regions: {}};
	log = [];
}
function newCounters() {
	return {requests: 0, ok: 0, errors: 0, authFailures: 0, pages: 0,
		idsQueried: 0, maxIds: 0, instancesReturned: 0, faults: 0};
}
resetState();
let hung = [];

function region(name) {
	if (!state.regions[name])
		state.regions[name] = {instances: new Map(), faults: []};
	return state.regions[name];
}
function counters(name) {
	if (!stats.regions[name])
		stats.regions[name] = newCounters();
	return stats.regions[name];
}
function count(regionName, key, n) {
	const inc = n === undefined ? 1 : n;
	stats.total[key] += inc;
	if (regionName)
		counters(regionName)[key] += inc;
}

function xmlEscape(s) {
	return String(s).replace(/[<>&'"]/g, (c) => ({
		'<': '&lt;', '>': '&gt;', '&': '&amp;', '\'': '&apos;', '"': '&quot;',
	})[c]);
}

function errorXml(code, message, requestId) {
	return '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>' +
		xmlEscape(code) + '</Code><Message>' + xmlEscape(message) +
		'</Message></Error></Errors><RequestID>' + requestId + '</RequestID></Response>';
}

// ------------------------------------------------------------------ signature

// Parse "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request,
// SignedHeaders=a;b, Signature=hex".
function parseAuthorization(h) {
	const m = /^AWS4-HMAC-SHA256 (.*)$/.exec(h || '');
	if (!m)
		return null;
	const parts = {};
	for (const p of m[1].split(',')) {
		const kv = p.trim();
		const eq = kv.indexOf('=');
		if (eq > 0)
			parts[kv.slice(0, eq)] = kv.slice(eq + 1);
	}
	const cred = (parts.Credential || '').split('/');
	if (cred.length !== 5 || cred[4] !== 'aws4_request' || !parts.SignedHeaders ||
	    !/^[0-9a-f]{64}$/.test(parts.Signature || ''))
		return null;
	return {accessKeyId: cred[0], date: cred[1], region: cred[2], service: cred[3],
		signedHeaders: parts.SignedHeaders.split(';'), signature: parts.Signature};
}

function amzDateMs(s) {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
	if (!m)
		return NaN;
	return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

// Returns null when the request is signed right, else [status, code, message].
function verify(req, body, auth) {
	if (!auth)
		return [401, 'AuthFailure', 'Missing or malformed Authorization header.'];
	const cred = state.credentials[auth.accessKeyId];
	if (!cred)
		return [401, 'AuthFailure',
			'AWS was not able to validate the provided access credentials'];
	if (auth.service !== 'ec2')
		return [401, 'AuthFailure', 'Credential should be scoped to correct service: ec2'];
	const amzDate = req.headers['x-amz-date'];
	const when = amzDateMs(amzDate);
	if (isNaN(when) || amzDate.slice(0, 8) !== auth.date)
		return [401, 'AuthFailure', 'X-Amz-Date is missing or disagrees with the scope.'];
	const now = Date.now() + state.clockSkewS * 1000;
	if (Math.abs(now - when) > 15 * 60 * 1000)
		return [400, 'RequestExpired', 'Request has expired.'];
	for (const must of ['host', 'x-amz-date'])
		if (!auth.signedHeaders.includes(must))
			return [401, 'AuthFailure', 'Header ' + must + ' is not signed.'];
	if (cred.sessionToken !== undefined) {
		if (req.headers['x-amz-security-token'] !== cred.sessionToken)
			return [401, 'AuthFailure', 'The security token included in the request is invalid.'];
		if (!auth.signedHeaders.includes('x-amz-security-token'))
			return [401, 'AuthFailure', 'x-amz-security-token is not signed.'];
	}
	// aws4 signs exactly the headers the client said it signed, with their
	// received values, over the received body.
	const headers = {};
	for (const name of auth.signedHeaders) {
		const v = req.headers[name];
		if (v === undefined)
			return [401, 'AuthFailure', 'Signed header ' + name + ' is missing.'];
		headers[name] = Array.isArray(v) ? v.join(',') : v;
	}
	const signer = new aws4.RequestSigner({
		method: req.method, path: req.url, headers: headers, body: body,
		service: auth.service, region: auth.region, doNotModifyHeaders: true,
	}, {accessKeyId: auth.accessKeyId, secretAccessKey: cred.secretAccessKey,
	    sessionToken: cred.sessionToken});
	signer.datetime = amzDate;
	const expected = signer.sign().headers.Authorization;
	const got = 'AWS4-HMAC-SHA256 Credential=' + auth.accessKeyId + '/' + auth.date + '/' +
		auth.region + '/' + auth.service + '/aws4_request, SignedHeaders=' +
		auth.signedHeaders.join(';') + ', Signature=' + auth.signature;
	if (expected !== got)
		return [401, 'AuthFailure', 'The request signature we calculated does not match ' +
			'the signature you provided.'];
	return null;
}

// ------------------------------------------------------------------ answers

function instanceXml(id, inst, regionName) {
	const az = regionName + 'a';
	const parts = [
		'<instanceId>' + xmlEscape(id) + '</instanceId>',
		'<imageId>ami-0abcdef1234567890</imageId>',
		'<instanceState><code>' + inst.code + '</code><name>' + xmlEscape(inst.state) +
			'</name></instanceState>',
		'<privateDnsName>ip-10-0-0-1.' + regionName + '.compute.internal</privateDnsName>',
		'<dnsName/>',
		'<reason>' + (inst.state === 'terminated' || inst.state === 'stopped'
			? 'User initiated (2024-01-01 00:00:00 GMT)' : '') + '</reason>',
		'<keyName>ops</keyName>',
		'<amiLaunchIndex>0</amiLaunchIndex>',
		'<productCodes/>',
		'<instanceType>t3.micro</instanceType>',
		'<launchTime>2024-01-01T00:00:00.000Z</launchTime>',
		'<placement><availabilityZone>' + az + '</availabilityZone><groupName/>' +
			'<tenancy>default</tenancy></placement>',
		'<monitoring><state>disabled</state></monitoring>',
		'<subnetId>subnet-0123456789abcdef0</subnetId>',
		'<vpcId>vpc-0123456789abcdef0</vpcId>',
		'<privateIpAddress>10.0.0.1</privateIpAddress>',
		'<sourceDestCheck>true</sourceDestCheck>',
		'<groupSet><item><groupId>sg-0123456789abcdef0</groupId>' +
			'<groupName>default</groupName></item></groupSet>',
		'<stateReason><code>' + (inst.code === 48 ? 'Client.UserInitiatedShutdown'
			: 'Client.Unknown') + '</code><message>Client.UserInitiatedShutdown: User ' +
			'initiated shutdown</message></stateReason>',
		'<architecture>x86_64</architecture>',
		'<rootDeviceType>ebs</rootDeviceType>',
		'<rootDeviceName>/dev/xvda</rootDeviceName>',
		'<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs>' +
			'<volumeId>vol-0123456789abcdef0</volumeId><status>attached</status>' +
			'<attachTime>2024-01-01T00:00:01.000Z</attachTime>' +
			'<deleteOnTermination>true</deleteOnTermination></ebs></item>' +
			'</blockDeviceMapping>',
		'<virtualizationType>hvm</virtualizationType>',
		'<clientToken/>',
		// Tags whose text looks like the elements that matter.
		'<tagSet><item><key>Name</key><value>web &lt;instanceId&gt;i-00000000' +
			'&lt;/instanceId&gt;</value></item><item><key>instanceState</key>' +
			'<value>terminated</value></item></tagSet>',
		'<hypervisor>xen</hypervisor>',
		'<networkInterfaceSet><item><networkInterfaceId>eni-0123456789abcdef0' +
			'</networkInterfaceId><status>in-use</status><attachment><attachmentId>' +
			'eni-attach-0123456789abcdef0</attachmentId><deviceIndex>0</deviceIndex>' +
			'<status>attached</status></attachment></item></networkInterfaceSet>',
		'<ebsOptimized>false</ebsOptimized>',
		'<enaSupport>true</enaSupport>',
		'<cpuOptions><coreCount>1</coreCount><threadsPerCore>2</threadsPerCore>' +
			'</cpuOptions>',
		'<hibernationOptions><configured>false</configured></hibernationOptions>',
		'<metadataOptions><state>applied</state><httpTokens>required</httpTokens>' +
			'<httpPutResponseHopLimit>2</httpPutResponseHopLimit>' +
			'<httpEndpoint>enabled</httpEndpoint></metadataOptions>',
		'<platformDetails>Linux/UNIX</platformDetails>',
		'<bootMode>uefi-preferred</bootMode>',
	];
	if (state.shuffle) {
		for (let i = parts.length - 1; i > 0; i--) {
			const j = Math.floor(Math.random() * (i + 1));
			[parts[i], parts[j]] = [parts[j], parts[i]];
		}
	}
	return '<item>' + parts.join('') + '</item>';
}

function describeXml(ids, regionName, nextToken, requestId) {
	// One reservation per instance, as for instances launched one by one.
	let out = '<?xml version="1.0" encoding="UTF-8"?>\n' +
		'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
		'<requestId>' + requestId + '</requestId><reservationSet>';
	const r = region(regionName);
	for (const id of ids) {
		out += '<item><reservationId>r-' + crypto.createHash('md5').update(id)
			.digest('hex').slice(0, 17) + '</reservationId><ownerId>123456789012</ownerId>' +
			'<groupSet/><instancesSet>' + instanceXml(id, r.instances.get(id), regionName) +
			'</instancesSet></item>';
	}
	out += '</reservationSet>';
	if (nextToken)
		out += '<nextToken>' + xmlEscape(nextToken) + '</nextToken>';
	return out + '</DescribeInstancesResponse>';
}

// ------------------------------------------------------------------ EC2

function send(res, status, body, type) {
	res.writeHead(status, {'Content-Type': type || 'text/xml;charset=UTF-8',
			       'Content-Length': Buffer.byteLength(body)});
	res.end(body);
}

function takeFault(regionName) {
	for (const q of [region(regionName).faults, state.anyFaults]) {
		for (const f of q) {
			if (f.count !== undefined && f.count !== null && f.count <= 0)
				continue;
			if (f.count !== undefined && f.count !== null)
				f.count--;
			return f;
		}
	}
	return null;
}

function logRequest(entry) {
	log.push(entry);
	if (log.length > LOG_MAX)
		log.splice(0, log.length - LOG_MAX);
}

function handleEc2(req, res, body) {
	const requestId = crypto.randomUUID();
	const auth = parseAuthorization(req.headers.authorization);
	const regionName = auth ? auth.region : null;
	const entry = {region: regionName, ids: 0, status: 0, code: null, nextToken: null,
		       signedHeaders: auth ? auth.signedHeaders : null};
	count(regionName, 'requests');
	const fail = (status, code, message) => {
		entry.status = status;
		entry.code = code;
		count(regionName, 'errors');
		logRequest(entry);
		send(res, status, errorXml(code, message, requestId));
	};
	const bad = verify(req, body, auth);
	if (bad) {
		count(regionName, 'authFailures');
		return fail(bad[0], bad[1], bad[2]);
	}
	if (req.method !== 'POST' || req.url !== '/')
		return fail(400, 'InvalidAction', 'Only POST / with a form body is served here.');
	const params = new URLSearchParams(body);
	if (params.get('Action') !== 'DescribeInstances')
		return fail(400, 'InvalidAction', 'The action ' + params.get('Action') +
			' is not valid for this web service.');
	if (params.get('Version') !== '2016-11-15')
		return fail(400, 'InvalidParameterValue', 'Unsupported Version.');
	// Filters (instance-id only) and InstanceId.N, as EC2 reads them.
	let wanted = null;
	const byId = [];
	for (const [k, v] of params) {
		let m = /^Filter\.(\d+)\.Name$/.exec(k);
		if (m) {
			if (v !== 'instance-id')
				return fail(400, 'InvalidParameterValue', 'The filter \'' + v +
					'\' is invalid');
			wanted = wanted || new Set();
			const prefix = 'Filter.' + m[1] + '.Value.';
			let n = 0;
			for (const [k2, v2] of params)
				if (k2.startsWith(prefix)) { wanted.add(v2); n++; }
			if (n > 200)
				return fail(400, 'InvalidParameterValue', 'The maximum number of filter ' +
					'values specified on a single call is 200');
			continue;
		}
		m = /^InstanceId\.\d+$/.exec(k);
		if (m)
			byId.push(v);
	}
	const r = region(regionName);
	let ids;
	if (byId.length > 0) {
		const missing = byId.filter((id) => !r.instances.has(id));
		if (missing.length > 0)
			return fail(400, 'InvalidInstanceID.NotFound', 'The instance IDs \'' +
				missing.join(', ') + '\' do not exist');
		ids = byId.filter((id) => !wanted || wanted.has(id));
	} else {
		ids = [...r.instances.keys()].filter((id) => !wanted || wanted.has(id));
	}
	entry.ids = wanted ? wanted.size : byId.length;
	count(regionName, 'idsQueried', entry.ids);
	stats.total.maxIds = Math.max(stats.total.maxIds, entry.ids);
	counters(regionName).maxIds = Math.max(counters(regionName).maxIds, entry.ids);

	const fault = takeFault(regionName);
	if (fault) {
		count(regionName, 'faults');
		entry.fault = fault.error;
		if (fault.error === 'hang') {
			entry.status = null;
			logRequest(entry);
			hung.push(res);
			return;
		}
		if (fault.error !== 'delay' && fault.error !== 'garbage' && fault.error !== 'truncated')
			return fail(fault.status || ERROR_STATUS[fault.error] || 400, fault.error,
				fault.message || 'Fake fault ' + fault.error + '.');
	}
	const reply = () => {
		// nextToken: the offset into this very query's answer.
		let start = 0;
		const token = params.get('NextToken');
		if (token) {
			const m = /^tok-(\d+)-([0-9a-f]{8})$/.exec(token);
			const digest = crypto.createHash('sha1').update(ids.join(',')).digest('hex');
			if (!m || m[2] !== digest.slice(0, 8))
				return fail(400, 'InvalidParameterValue', 'Invalid NextToken.');
			start = parseInt(m[1], 10);
		}
		const page = ids.slice(start, start + state.pageSize);
		let next = null;
		if (start + page.length < ids.length)
			next = 'tok-' + (start + page.length) + '-' +
				crypto.createHash('sha1').update(ids.join(',')).digest('hex').slice(0, 8);
		let xml = describeXml(page, regionName, next, requestId);
		entry.nextToken = next;
		if (fault && fault.error === 'garbage') {
			xml = 'this is <not xml';
		} else if (fault && fault.error === 'truncated') {
			xml = xml.slice(0, Math.floor(xml.length / 2));
		} else {
			count(regionName, 'ok');
			count(regionName, 'pages');
			count(regionName, 'instancesReturned', page.length);
		}
		entry.status = 200;
		entry.returned = page.length;
		logRequest(entry);
		send(res, 200, xml);
	};
	if (fault && fault.error === 'delay')
		setTimeout(reply, fault.delay_ms || 0);
	else
		reply();
}

// ------------------------------------------------------------------ control

function control(req, res, body) {
	let data = {};
	if (body) {
		try {
			data = JSON.parse(body);
		} catch (e) {
			return send(res, 400, JSON.stringify({error: 'bad JSON: ' + e.message}),
				'application/json');
		}
	}
	const ok = (obj) => send(res, 200, JSON.stringify(obj || {ok: true}), 'application/json');
	const no = (msg) => send(res, 400, JSON.stringify({error: msg}), 'application/json');
	const route = req.method + ' ' + req.url;
	switch (route) {
	case 'POST /_fake/reset':
		releaseHung();
		resetState();
		return ok();
	case 'POST /_fake/credentials':
		if (!data.accessKeyId || !data.secretAccessKey)
			return no('accessKeyId and secretAccessKey are required');
		state.credentials[data.accessKeyId] = {secretAccessKey: data.secretAccessKey,
			sessionToken: data.sessionToken || undefined};
		return ok();
	case 'POST /_fake/instances': {
		if (!data.region || typeof data.instances !== 'object')
			return no('region and instances are required');
		const r = region(data.region);
		if (data.replace)
			r.instances.clear();
		for (const [id, v] of Object.entries(data.instances)) {
			const st = typeof v === 'string' ? v : v.state;
			if (!(st in STATE_CODES))
				return no('unknown state ' + st);
			const code = typeof v === 'object' && v.code !== undefined ? v.code
				: STATE_CODES[st];
			r.instances.set(id, {state: st, code: code});
		}
		return ok({ok: true, count: r.instances.size});
	}
	case 'POST /_fake/remove': {
		const r = region(data.region);
		for (const id of data.ids || [])
			r.instances.delete(id);
		return ok({ok: true, count: r.instances.size});
	}
	case 'POST /_fake/faults':
		if (!data.region || !Array.isArray(data.faults))
			return no('region and faults are required');
		if (data.region === '*')
			state.anyFaults = data.faults;
		else
			region(data.region).faults = data.faults;
		return ok();
	case 'POST /_fake/config':
		if (data.pageSize !== undefined)
			state.pageSize = Math.max(1, data.pageSize | 0);
		if (data.shuffle !== undefined)
			state.shuffle = !!data.shuffle;
		if (data.clockSkewS !== undefined)
			state.clockSkewS = +data.clockSkewS;
		return ok();
	case 'POST /_fake/release':
		releaseHung();
		return ok();
	case 'GET /_fake/stats':
		return ok({total: stats.total, regions: stats.regions, log: log});
	case 'POST /_fake/stats/reset':
		resetStats();
		return ok();
	default:
		return send(res, 404, JSON.stringify({error: 'no control route ' + route}),
			'application/json');
	}
}

function releaseHung() {
	for (const res of hung)
		res.socket && res.socket.destroy();
	hung = [];
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('utf8');
		try {
			if (req.url.startsWith('/_fake/'))
				control(req, res, body);
			else
				handleEc2(req, res, body);
		} catch (e) {
			process.stderr.write('fakeec2: ' + (e.stack || e) + '\n');
			send(res, 500, errorXml('InternalError', 'fake crashed: ' + e.message, 'x'));
		}
	});
});
server.keepAliveTimeout = 5000;
server.listen(args.port, '127.0.0.1', () => {
	const port = server.address().port;
	if (args.portFile) {
		fs.writeFileSync(args.portFile + '.tmp', String(port));
		fs.renameSync(args.portFile + '.tmp', args.portFile);
	}
	process.stdout.write('fakeec2 listening on 127.0.0.1:' + port + '\n');
});
// A test that crashed cannot stop its fake: go when the parent is gone.
function parentPid() {
	try { // the live value (process.ppid is read once at start)
		const stat = fs.readFileSync('/proc/self/stat', 'utf8');
		return parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1], 10);
	} catch (e) {
		return process.ppid;
	}
}
const parent = parentPid();
setInterval(() => {
	if (parentPid() !== parent) {
		releaseHung();
		process.exit(0);
	}
}, 500).unref();
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => { releaseHung(); server.close(); process.exit(0); });
