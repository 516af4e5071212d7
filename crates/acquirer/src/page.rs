//! The POS page and the merchant's entry-code page: plain HTML and a little JavaScript, no build
//! step, readable in a 400-px-wide window.

/// The POS page (`GET /pos`); it talks to `/pos/api/...`.
pub(crate) const POS_PAGE: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Linker reference POS</title>
<style>
 body{font-family:system-ui,sans-serif;max-width:400px;margin:0 auto;padding:8px;background:#f4f4f4}
 h1{font-size:18px;margin:4px 0} .card{background:#fff;border-radius:8px;padding:10px;margin:8px 0;box-shadow:0 1px 2px #0002}
 input,button{font-size:16px;padding:6px;margin:3px 0;box-sizing:border-box} input{width:100%}
 button{border:0;border-radius:6px;background:#1677ff;color:#fff;cursor:pointer} button.alt{background:#666}
 .screen{font-size:18px;padding:10px;border-radius:6px;background:#222;color:#7f7;min-height:2em}
 .failed,.cancelled{color:#f77} .waiting{color:#ff7} .refunded,.partially_refunded{color:#7cf}
 .row{border-top:1px solid #ddd;padding:6px 0;font-size:14px} img{max-width:100%}
 small{color:#666}
</style></head><body>
<h1 id="title">Linker reference POS</h1>
<small><a href="/shop">Online shop</a> · <a href="/shop/account">Auto Debit account</a></small>
<div class="card">
 <label>Amount (<span id="cur">HKD</span>)<input id="amount" inputmode="decimal" placeholder="12.50"></label>
 <label>Customer's payment code<input id="code" inputmode="numeric" placeholder="scan or type the digits"></label>
 <input type="file" id="image" accept="image/*" title="photo of the payment code">
 <small>Or paste an image of the code here (Ctrl+V).</small><br>
 <button onclick="charge()">Charge payment code</button>
 <button id="fromScreen" onclick="chargeFromScreen()" title="read the wallet's payment code from a window on this screen">Scan from screen</button>
 <button onclick="show('order-code')">Show order code</button>
 <button onclick="show('private-order-code')">Show private order code</button>
</div>
<div class="card"><div id="screen" class="screen">Ready</div><div id="qr"></div></div>
<div class="card"><b>Entry code</b> <small>(customers scan it and type the amount)</small>
 <div><img id="entry" alt="entry code" width="160"></div><small id="entryUrl"></small></div>
<div class="card" id="phone" hidden><b>Customer's phone</b> <small>(scan with the phone's camera to open the Linker wallet, signed in)</small>
 <div><img id="walletQr" alt="web wallet link" width="200"></div><small id="walletLink"></small></div>
<div class="card"><b>Payments</b><div id="list"></div></div>
<script>
let current=null, digits=2;
const $=id=>document.getElementById(id);
async function api(path,body,raw){
  const r=await fetch('/pos/api/'+path,{method:body===undefined?'GET':'POST',
    headers:raw?{}:{'content-type':'application/json'},body:raw?body:(body===undefined?undefined:JSON.stringify(body))});
  const j=await r.json().catch(()=>({error:{message:'HTTP '+r.status}}));
  if(!r.ok) throw new Error(j.error?j.error.message:'HTTP '+r.status);
  return j;
}
function say(text,cls){const s=$('screen');s.textContent=text;s.className='screen '+(cls||'');}
function qr(text){ $('qr').innerHTML=text?'<img src="/pos/api/qr.png?text='+encodeURIComponent(text)+'"><br><small>'+text+'</small>':''; }
async function charge(){
  try{ const v=await api('charge',{amount:$('amount').value,paymentCode:$('code').value});
    current=v.payment.posPaymentId; qr(''); render(v); $('code').value=''; }catch(e){say(e.message,'failed');}
}
async function chargeFromScreen(){
  try{ say('Reading the screen…','waiting'); const v=await api('charge-from-screen',{amount:$('amount').value});
    current=v.payment.posPaymentId; qr(''); render(v); }catch(e){say(e.message,'failed');}
}
async function show(kind){
  try{ say('Asking for a code…','waiting'); const v=await api(kind,{amount:$('amount').value});
    current=v.payment.posPaymentId; qr(v.payment.codeValue); render(v);}catch(e){say(e.message,'failed');}
}
async function decodeBlob(blob){
  try{ const j=await api('decode',blob,true);
    if(!j.codes.length) return say('No code found in the image','failed');
    $('code').value=j.codes[0]; say('Read '+j.codes[0]);}catch(e){say(e.message,'failed');}
}
$('image').onchange=e=>{ if(e.target.files[0]) decodeBlob(e.target.files[0]); };
document.addEventListener('paste',e=>{ for(const it of e.clipboardData.items){ if(it.type.startsWith('image/')) decodeBlob(it.getAsFile()); }});
function render(v){ say(v.display.text, v.display.state); if(v.display.state!=='waiting') qr(''); }
async function act(id,what){
  try{ if(what==='refund'){ const a=prompt('Refund how much?'); if(!a) return; await api('payments/'+id+'/refund',{amount:a}); }
    else await api('payments/'+id+'/cancel',{});
    current=id; refresh(); }catch(e){ alert(e.message); }
}
async function refresh(){
  try{ const s=await api('state');
    $('title').textContent=s.merchant+' · '+s.store+(s.faults.length?' (faults: '+s.faults.join(', ')+')':'');
    $('cur').textContent=s.currency; digits=s.minorDigits;
    if(s.walletLink && $('walletLink').textContent!==s.walletLink){ $('phone').hidden=false;
      $('walletQr').src='/pos/api/qr.png?text='+encodeURIComponent(s.walletLink); $('walletLink').textContent=s.walletLink; }
    if(!$('entry').src) { $('entry').src='/pos/api/qr.png?text='+encodeURIComponent(s.entryCodeUrl); $('entryUrl').textContent=s.entryCodeUrl; }
    $('list').innerHTML=s.payments.map(v=>{const p=v.payment,d=v.display;
      const amt=(Number(p.amount.value)/Math.pow(10,digits)).toFixed(digits);
      return '<div class="row"><b>'+p.amount.currency+' '+amt+'</b> '+p.kind.replace(/_/g,' ')+' <span class="'+d.state+'">'+d.state+'</span><br><small>'+
        d.text.replace(/</g,'&lt;')+'</small><br>'+
        ((d.state==='paid'||d.state==='partially_refunded')?'<button class="alt" onclick="act(\''+p.posPaymentId+'\',\'refund\')">Refund</button> ':'')+
        ((d.state==='paid'||d.state==='waiting')?'<button class="alt" onclick="act(\''+p.posPaymentId+'\',\'cancel\')">Cancel</button>':'')+'</div>';}).join('');
    const c=s.payments.find(v=>v.payment.posPaymentId===current); if(c) render(c);
  }catch(e){}
}
refresh(); setInterval(refresh,1000);
</script></body></html>
"##;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The merchant's amount-entry page (`GET /entry`): a form for an Alipay+ wallet, a hint for a
/// plain browser.
pub(crate) fn entry_page(
    merchant: &str,
    currency: &str,
    wallet: bool,
    error: Option<&str>,
) -> String {
    let merchant = escape(merchant);
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    let form = if wallet {
        format!(
            "<form method=\"post\" action=\"/entry\"><label>Amount ({currency})<br>\
             <input name=\"amount\" inputmode=\"decimal\" autofocus></label><br>\
             <button type=\"submit\">Pay with Alipay+</button></form>"
        )
    } else {
        "<p>Scan this merchant's code with an Alipay+ wallet to pay.</p>".to_owned()
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Pay {merchant}</title><style>body{{font-family:system-ui,sans-serif;max-width:400px;\
         margin:0 auto;padding:12px}}input,button{{font-size:20px;padding:8px;width:100%;\
         box-sizing:border-box;margin:6px 0}}.error{{color:#c00}}</style></head><body>\
         <h1>{merchant}</h1>{error}{form}</body></html>"
    )
}
