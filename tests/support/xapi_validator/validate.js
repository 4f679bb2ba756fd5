// Reads a JSON array of xAPI statements on stdin; writes, for each, the list of problems that
// Learning Locker's validator (@learninglocker/xapi-validation) finds: "path: kind (type)".
const validate = require('@learninglocker/xapi-validation').default;

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const statements = JSON.parse(input);
  const problems = statements.map((statement) => validate(statement).map((warning) =>
    `${warning.path.join('.')}: ${warning.name}${warning.typeName ? ` (${warning.typeName})` : ''}`));
  process.stdout.write(JSON.stringify(problems));
});
