/// The page's only assets, served from the binary: one stylesheet and a little script that
/// only enhances (the pages work without it).
enum Assets {
    static func response(_ path: String) -> UIResponse? {
        switch path {
        case "/assets/tre.css": asset(css, type: "text/css; charset=utf-8")
        case "/assets/tre.js": asset(js, type: "text/javascript; charset=utf-8")
        case "/favicon.ico": UIResponse(status: 204, headers: [("Cache-Control", "max-age=86400")])
        default: nil
        }
    }

    static func asset(_ text: String, type: String) -> UIResponse {
        UIResponse(
            status: 200, headers: [("Content-Type", type), ("Cache-Control", "max-age=3600")], body: Array(text.utf8))
    }

    static let css = """
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.45 system-ui,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1b1b;background:#f6f7f5}
        header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.5rem 1rem;background:#1f5f3f;color:#fff}
        header a,header button.link{color:#fff}
        .brand{font-weight:700;font-size:1.2rem}
        nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0;list-style:none}
        nav a[aria-current]{font-weight:700;text-decoration-thickness:3px}
        .who{margin-left:auto;display:flex;gap:.75rem;align-items:center}
        .who form{display:inline}
        main{max-width:60rem;margin:0 auto;padding:1rem}
        h1{font-size:1.5rem;margin:.25rem 0 1rem}
        h2{font-size:1.2rem;margin-top:1.5rem}
        a{color:#0b4f8a}
        :focus-visible{outline:3px solid #e8a200;outline-offset:2px}
        .skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;color:#000;padding:.25rem .5rem;z-index:9}
        button,.button{display:inline-block;font:inherit;padding:.45rem .9rem;border:1px solid #1f5f3f;border-radius:4px;background:#1f5f3f;color:#fff;cursor:pointer;text-decoration:none}
        button.secondary{background:#fff;color:#1f5f3f}
        button.link{background:none;border:none;padding:0;text-decoration:underline;color:#0b4f8a}
        .field{margin:.6rem 0;display:flex;flex-direction:column;gap:.2rem;max-width:32rem}
        fieldset{border:1px solid #c8ccc6;border-radius:4px;margin:.6rem 0;padding:.4rem .8rem}
        input,select,textarea{font:inherit;padding:.4rem;border:1px solid #767b74;border-radius:3px;max-width:100%}
        .invalid input,.invalid select,.invalid textarea,[aria-invalid=true]{border:2px solid #b00020}
        .error{color:#b00020;font-weight:600;margin:.2rem 0}
        .flash{background:#e3f1e7;border-left:4px solid #1f5f3f;padding:.5rem .75rem}
        small{color:#555}
        .check{display:block;margin:.2rem 0}
        .inline{display:flex;gap:.5rem;align-items:flex-end;flex-wrap:wrap}
        table{border-collapse:collapse;width:100%;margin:.5rem 0;background:#fff}
        th,td{border:1px solid #d5d8d3;padding:.35rem .5rem;text-align:left;vertical-align:top}
        table.report td{text-align:right}table.report td.sub{text-align:left;padding-left:1.5rem}
        .tasks li{margin:.35rem 0}.overdue{color:#b00020}.overdue a{color:#b00020;font-weight:700}
        .cards{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.5rem}
        .cards li{background:#fff;border:1px solid #d5d8d3;border-radius:4px;padding:.6rem}
        .count{color:#555;font-size:.9rem}
        dl.fields{display:grid;grid-template-columns:minmax(10rem,16rem) 1fr;gap:.25rem 1rem;background:#fff;padding:.75rem;border:1px solid #d5d8d3}
        dl.fields dt{font-weight:600}dl.fields dd{margin:0}
        .case{background:#fff;border:1px solid #d5d8d3;border-radius:4px;padding:.5rem .75rem;margin:.5rem 0}
        ol.steps{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;padding:0;margin:.5rem 0;font-size:.85rem}
        ol.steps li{padding:.2rem .45rem;border-radius:3px;background:#e7e9e5;color:#444}
        ol.steps li.done{background:#cfe6d6;color:#1f5f3f}
        ol.steps li.current{background:#1f5f3f;color:#fff;font-weight:700}
        details.step{background:#fff;border:1px solid #d5d8d3;border-radius:4px;margin:.4rem 0;padding:.4rem .75rem}
        details.step summary{cursor:pointer;font-weight:600}
        .sides{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.5rem}
        .side{display:flex;flex-direction:column;gap:.2rem;background:#fff;border:1px solid #d5d8d3;padding:.5rem;border-radius:4px}
        .side .value{font-weight:700}
        .conflict{margin:.75rem 0}
        .unlock{max-width:26rem;margin-top:3rem}
        @media (max-width:40rem){body{font-size:17px}header{padding:.5rem}.who{margin-left:0}dl.fields{grid-template-columns:1fr}table{font-size:.9rem}main{padding:.75rem}}
        """

    /// Disables a submitted form's button (no double submission on a slow laptop), and while a
    /// sync runs says so beside its button. Typing is activity: while the worker types in a
    /// form, at most once a minute, it tells the session so (`POST /s/KEY/alive` with the form's
    /// token, no value of the form), so a long Mẫu 01 does not outlast the idle timeout.
    static let js = """
        document.addEventListener('submit',function(e){var b=e.target.querySelector('button[type=submit]');if(b){setTimeout(function(){b.disabled=true},0)}var p=e.target.querySelector('#sync-progress');if(p&&b){p.textContent=b.getAttribute('data-busy')}});
        var treAlive=0;document.addEventListener('input',function(e){var f=e.target.form;if(!f||!window.fetch)return;var t=f.querySelector('input[name=csrf]');var m=location.pathname.match(/^\\/s\\/[A-Za-z0-9_-]+/);var n=Date.now();if(!t||!m||n-treAlive<60000)return;treAlive=n;fetch(m[0]+'/alive',{method:'POST',credentials:'same-origin',body:new URLSearchParams({csrf:t.value})}).catch(function(){})});
        """
}
