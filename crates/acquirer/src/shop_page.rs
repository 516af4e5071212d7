//! The online shop's pages: plain HTML and a little JavaScript in the POS page's style, no build
//! step, readable on a phone. They talk to `/shop/api/...` and show only what the backend knows.

/// The style every shop page shares (the POS page's, with a few additions).
macro_rules! shop_style {
    () => {
        r##"<style>
 body{font-family:system-ui,sans-serif;max-width:400px;margin:0 auto;padding:8px;background:#f4f4f4}
 h1{font-size:18px;margin:4px 0} .card{background:#fff;border-radius:8px;padding:10px;margin:8px 0;box-shadow:0 1px 2px #0002}
 button{font-size:16px;padding:6px 10px;margin:3px 0;border:0;border-radius:6px;background:#1677ff;color:#fff;cursor:pointer}
 button.alt{background:#666} button.big{width:100%;font-size:18px;padding:12px} button:disabled{background:#aaa}
 input{font-size:16px;padding:6px;margin:3px 0;box-sizing:border-box;width:100%}
 .line{display:flex;align-items:center;justify-content:space-between;padding:4px 0;border-top:1px solid #eee}
 .line:first-child{border-top:0} .qty{display:flex;align-items:center;gap:6px} .qty button{width:34px;padding:4px 0}
 .total{display:flex;justify-content:space-between;font-weight:bold;padding-top:6px;border-top:1px solid #ddd;margin-top:4px}
 .opt{padding:3px 0} .off{color:#999} .state{font-size:22px;font-weight:bold;margin:6px 0}
 .paid,.linked{color:#1a7f37} .failed,.cancelled,.unlinked{color:#c62828} .waiting{color:#b26a00}
 .row{border-top:1px solid #ddd;padding:6px 0;font-size:14px} img{max-width:100%}
 a{color:#1677ff;overflow-wrap:anywhere} small{color:#666} .error{color:#c62828}
</style>"##
    };
}

/// The checkout page (`GET /shop`).
pub(crate) const SHOP_PAGE: &str = concat!(
    r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Linker shop: checkout</title>"##,
    shop_style!(),
    r##"</head><body>
<h1 id="title">Online shop</h1>
<small><a href="/pos">POS</a> · <a href="/shop/account">My account (Auto Debit)</a></small>
<div class="card"><b>Basket</b><div id="items"></div>
 <div class="total"><span>Total</span><span id="total">…</span></div></div>
<div class="card"><b>Wallets that can pay</b> <small>(consultPayment)</small><div id="options"><small>Asking Alipay+…</small></div></div>
<button id="pay" class="big" onclick="pay()">Pay with Alipay+</button>
<div id="error" class="error"></div>
<div class="card" id="payCard" hidden><b>Pay on the Alipay+ page</b><br>
 <small>Open the link in the Linker wallet, or scan the code with it.</small>
 <div><img id="payQr" alt="payment page" width="220"></div>
 <a id="payLink"></a>
 <div class="state waiting" id="orderState"></div><small id="orderText"></small><br>
 <a id="orderLink">Order status page</a></div>
<script>
const $=id=>document.getElementById(id);
let items=[], qty={}, digits=2, cur='HKD', timer=null, order=null, consultId=null;
async function api(path,body){
  const r=await fetch('/shop/api/'+path,{method:body===undefined?'GET':'POST',
    headers:{'content-type':'application/json'},body:body===undefined?undefined:JSON.stringify(body)});
  const j=await r.json().catch(()=>({error:{message:'HTTP '+r.status}}));
  if(!r.ok) throw new Error(j.error?j.error.message:'HTTP '+r.status);
  return j;
}
const money=v=>cur+' '+(Number(v)/Math.pow(10,digits)).toFixed(digits);
const esc=t=>String(t).replace(/&/g,'&amp;').replace(/</g,'&lt;');
function draw(){
  $('items').innerHTML=items.map(it=>'<div class="line"><span>'+esc(it.name)+'<br><small>'+money(it.hundredths*Math.pow(10,digits)/100)+'</small></span>'+
    '<span class="qty"><button class="alt" onclick="step(\''+it.id+'\',-1)">−</button><b>'+(qty[it.id]||0)+'</b>'+
    '<button class="alt" onclick="step(\''+it.id+'\',1)">+</button></span></div>').join('');
}
function step(id,d){ qty[id]=Math.max(0,Math.min(20,(qty[id]||0)+d)); draw(); clearTimeout(timer); timer=setTimeout(consult,300); }
async function consult(){
  $('error').textContent='';
  consultId=null;
  try{ const j=await api('options',{items:qty}); $('total').textContent=j.totalText;
    const c=j.consulted; consultId=c.consultId;
    $('options').innerHTML=!c.asked?'<small>Not asked: this shop pays without consultPayment.</small>':
      (c.options.length?c.options.map(o=>'<div class="opt '+(o.enabled?'':'off')+'">'+(o.logoUrl?'<img src="'+esc(o.logoUrl)+'" height="16"> ':'')+
        esc(o.name)+(o.preferred?' <small>(preferred)</small>':'')+' — '+(o.enabled?'enabled':'disabled'+(o.disabledReason?': '+esc(o.disabledReason):''))+'</div>').join(''):
        '<small>Alipay+ offered no wallet.</small>');
    $('pay').disabled=c.asked && !c.options.some(o=>o.enabled);
  }catch(e){ $('total').textContent='—'; $('options').innerHTML=''; $('error').textContent=e.message; $('pay').disabled=true; }
}
async function pay(){
  $('error').textContent=''; $('pay').disabled=true;
  try{ const j=await api('checkout',{items:qty,consultId}); consultId=null; order=j.posPaymentId;
    $('payCard').hidden=false; $('payLink').href=j.paymentUrl; $('payLink').textContent=j.paymentUrl;
    $('payQr').src='/pos/api/qr.png?text='+encodeURIComponent(j.paymentUrl);
    $('orderLink').href='/shop/return/'+order; show(j.order); poll(); $('payCard').scrollIntoView({behavior:'smooth'});
  }catch(e){ $('error').textContent=e.message; }
  $('pay').disabled=false;
}
function show(v){ $('orderState').textContent=({waiting:'Waiting for payment…',paid:'Paid',failed:'Not paid',cancelled:'Not paid: cancelled'})[v.display.state]||v.display.state;
  $('orderState').className='state '+v.display.state; $('orderText').textContent=v.display.text; }
async function poll(){ if(!order) return; try{ const v=await api('orders/'+order); show(v); if(v.display.state==='waiting') setTimeout(poll,2000);}catch(e){} }
(async()=>{ try{ const c=await api('catalogue'); items=c.items; digits=c.minorDigits; cur=c.currency;
  $('title').textContent=c.merchant+' · online shop'+(c.faults.length?' (faults: '+c.faults.join(', ')+')':'');
  qty={}; items.forEach((it,i)=>qty[it.id]=i<2?1:0); draw(); consult(); }catch(e){ $('error').textContent=e.message; } })();
</script></body></html>
"##
);

/// An order's return page (`GET /shop/return/<id>`, the `paymentRedirectUrl`): the order as the
/// backend knows it, refreshed until final.
pub(crate) const ORDER_PAGE: &str = concat!(
    r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Linker shop: your order</title>"##,
    shop_style!(),
    r##"</head><body>
<h1>Your order</h1>
<small><a href="/shop">Back to the shop</a> · <a href="/shop/account">My account</a></small>
<div class="card"><div id="amount"></div><div id="state" class="state waiting">Checking with Alipay+…</div>
 <div id="text"></div><small id="what"></small></div>
<div class="card"><small>This page shows what the shop learned from Alipay+ (inquiryPayment or the
 payment notification), never what the way back from the payment page says. It refreshes until the
 order is final.</small></div>
<script>
const $=id=>document.getElementById(id);
const id=decodeURIComponent(location.pathname.split('/').pop());
const words={waiting:'Waiting for payment…',paid:'Paid — thank you!',failed:'Not paid',cancelled:'Not paid: the order was cancelled',
  refunded:'Refunded',partially_refunded:'Partly refunded'};
async function refresh(){
  try{ const r=await fetch('/shop/api/orders/'+encodeURIComponent(id)); const j=await r.json();
    if(!r.ok){ $('state').textContent=j.error?j.error.message:'HTTP '+r.status; $('state').className='state failed'; return; }
    const p=j.payment, d=j.display;
    $('amount').textContent=j.amountText+' · order '+p.posPaymentId;
    $('state').textContent=words[d.state]||d.state; $('state').className='state '+d.state;
    $('text').textContent=d.text; $('what').textContent=p.description||'';
    if(d.state==='waiting') setTimeout(refresh,2000);
  }catch(e){ setTimeout(refresh,3000); }
}
refresh();
</script></body></html>
"##
);

/// The Auto Debit account page (`GET /shop/account`, and `/shop/account/return`, the
/// `authRedirectUrl`): linked or not as the backend knows it, Link, Charge now, Unlink.
pub(crate) const ACCOUNT_PAGE: &str = concat!(
    r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Linker shop: my account</title>"##,
    shop_style!(),
    r##"</head><body>
<h1 id="title">My account</h1>
<small><a href="/shop">Shop</a> · <a href="/pos">POS</a></small>
<div class="card" id="back" hidden><small>Back from the wallet. What follows is what the shop's backend
 knows from Alipay+, not what the wallet's redirect says.</small></div>
<div class="card"><b>Alipay+ Auto Debit</b><div id="state" class="state">…</div><small id="text"></small></div>
<div class="card" id="linkCard"><button class="big" id="linkButton" onclick="link()">Link an Alipay+ wallet</button>
 <div id="auth" hidden><small>Authorize in the Linker wallet: open the link there, or scan the code with it.</small>
 <div><img id="authQr" alt="authorization page" width="200"></div><a id="authLink"></a></div></div>
<div class="card" id="chargeCard"><label>Amount (<span id="cur">HKD</span>)<input id="amount" inputmode="decimal" value="10.00"></label>
 <button onclick="charge()">Charge now</button> <button class="alt" onclick="unlink()">Unlink</button></div>
<div id="error" class="error"></div>
<div class="card"><b>Charges</b><div id="list"><small>None yet</small></div></div>
<script>
const $=id=>document.getElementById(id);
if(location.pathname.endsWith('/return')) $('back').hidden=false;
async function api(path,body){
  const r=await fetch('/shop/api/'+path,{method:body===undefined?'GET':'POST',
    headers:{'content-type':'application/json'},body:body===undefined?undefined:JSON.stringify(body)});
  const j=await r.json().catch(()=>({error:{message:'HTTP '+r.status}}));
  if(!r.ok) throw new Error(j.error?j.error.message:'HTTP '+r.status);
  return j;
}
const esc=t=>String(t).replace(/&/g,'&amp;').replace(/</g,'&lt;');
async function act(f){ $('error').textContent=''; try{ await f(); }catch(e){ $('error').textContent=e.message; } refresh(); }
const link=()=>act(async()=>{ await api('account/link',{}); });
const charge=()=>act(async()=>{ await api('account/charge',{amount:$('amount').value}); });
const unlink=()=>act(async()=>{ await api('account/unlink',{}); });
async function refresh(){
  try{ const s=await api('account'), a=s.account;
    $('title').textContent=s.merchant+' · my account'+(s.faults.length?' (faults: '+s.faults.join(', ')+')':'');
    $('cur').textContent=s.currency;
    $('state').textContent=a.linked?'Linked':'Not linked'; $('state').className='state '+(a.linked?'linked':'unlinked');
    $('text').textContent=a.text.replace(/^(Not linked|Linked)(: )?/,'');
    $('linkButton').textContent=a.linked?'Link a different wallet':'Link an Alipay+ wallet';
    if(a.authUrl){ $('auth').hidden=false; if($('authLink').textContent!==a.authUrl){ $('authLink').href=a.authUrl; $('authLink').textContent=a.authUrl;
      $('authQr').src='/pos/api/qr.png?text='+encodeURIComponent(a.authUrl);} } else $('auth').hidden=true;
    $('list').innerHTML=s.debits.length?s.debits.map(v=>'<div class="row"><b>'+esc(v.display.text)+'</b> <span class="'+v.display.state+'">'+
      v.display.state+'</span><br><small>'+esc(v.payment.createdAt.slice(0,19).replace('T',' '))+'</small></div>').join(''):'<small>None yet</small>';
  }catch(e){ $('error').textContent=e.message; }
}
refresh(); setInterval(refresh,1500);
</script></body></html>
"##
);
