// Hotline form (dashboard/pages/hotline.py). Only the elements of that page react; others are left alone.
//
// 1. On a focused yes/no/unknown question, the keys y, n and u choose the answer, so an agent answers
//    with Tab and one letter per question.
// 2. A click anywhere on the small map (plotly only reports clicks on markers) is written to the
//    "hl-click" store, from which the page's callbacks resolve the place of the report.
document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || target.type !== "radio" || event.altKey || event.ctrlKey || event.metaKey) {
        return;
    }
    var group = target.closest(".hl-question");
    var value = {y: "yes", n: "no", u: "unknown"}[(event.key || "").toLowerCase()];
    if (!group || !value) {
        return;
    }
    var input = group.querySelector('input[type="radio"][value="' + value + '"]');
    if (input) {
        event.preventDefault();
        input.click();
        input.focus();
    }
});

setInterval(function () {
    var gd = document.querySelector("#hl-map .js-plotly-plot");
    var subplot = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    var map = subplot && subplot.map;
    if (!map || gd._hlClickMap === map || !window.dash_clientside || !window.dash_clientside.set_props) {
        return;
    }
    gd._hlClickMap = map;  // hooked once per map instance (plotly may rebuild it)
    map.getCanvas().style.cursor = "crosshair";
    map.on("click", function (e) {
        window.dash_clientside.set_props("hl-click", {
            data: {lon: Math.round(e.lngLat.lng * 1e6) / 1e6, lat: Math.round(e.lngLat.lat * 1e6) / 1e6},
        });
    });
}, 500);
