const Module=require('module'); const orig=Module._load; let depth=0; const rows=[];
Module._load=function(req,parent,isMain){ const t=process.cpuUsage(); depth++; try { return orig.apply(this,arguments);} finally { depth--; const d=process.cpuUsage(t); const ms=(d.user+d.system)/1000; if(ms>2) rows.push([ms, '  '.repeat(depth)+req]); } };
const t=process.cpuUsage();
require(process.argv[2]);
const d=process.cpuUsage(t); console.log('total', (d.user+d.system)/1000);
for (const r of rows) console.log(r[0].toFixed(1).padStart(6), r[1]);
