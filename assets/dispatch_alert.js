// Dispatch board (dashboard/pages/dispatch.py): the audible class-1 alert (R6.1).
//
// The server lists the class-1 tickets no crew has left for ("class1-ids"); this browser beeps once
// for each one it has not beeped for yet (the ids are kept in a session store) and hands the newest
// one to the page, which opens it when the dispatcher has nothing selected.
//
// The beep is made with the Web Audio API: no audio file, no network. Browsers refuse sound before the
// user has interacted with the page, so the audio context is only created once they have; a beep
// asked for earlier waits for the dispatcher's first click or key press instead of failing (and
// without a console error). The red banner shows either way.
(function () {
    "use strict";
    var audio = null;
    var pending = false;
    // Counters for whoever watches the page (the browser tests): beeps played, beeps waiting for a
    // gesture, and checks, how many times a list from the server was looked at (once per refresh).
    var state = window.gasdispatchAlert = {beeps: 0, waiting: 0, checks: 0};

    function activated() {
        var ua = navigator.userActivation;
        return !ua || ua.hasBeenActive;
    }

    function context() {
        if (audio) {
            return audio;
        }
        var AudioContextClass = window.AudioContext || window.webkitAudioContext;
        if (!AudioContextClass || !activated()) {
            return null;
        }
        try {
            audio = new AudioContextClass();
        } catch (e) {
            audio = null;
        }
        return audio;
    }

    function tone(ac, start, frequency) {
        var osc = ac.createOscillator();
        var gain = ac.createGain();
        osc.type = "square";
        osc.frequency.setValueAtTime(frequency, start);
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.22);
        osc.connect(gain);
        gain.connect(ac.destination);
        osc.start(start);
        osc.stop(start + 0.25);
    }

    function beep() {
        var ac = context();
        if (!ac) {
            pending = true;
            state.waiting += 1;
            return;
        }
        var play = function () {
            var t = ac.currentTime + 0.01;
            tone(ac, t, 880);
            tone(ac, t + 0.3, 660);
            tone(ac, t + 0.6, 880);
            state.beeps += 1;
        };
        if (ac.state === "suspended") {
            ac.resume().then(play, function () { pending = true; });
        } else {
            play();
        }
    }

    function onGesture() {
        if (pending) {
            pending = false;
            beep();
        }
    }
    document.addEventListener("pointerdown", onGesture, true);
    document.addEventListener("keydown", onGesture, true);

    window.dash_clientside = Object.assign({}, window.dash_clientside);
    window.dash_clientside.gasdispatch = Object.assign({}, window.dash_clientside.gasdispatch, {
        class1Alert: function (ids, seen) {
            var noUpdate = window.dash_clientside.no_update;
            state.checks += 1;
            ids = ids || [];
            seen = seen || [];
            var fresh = ids.filter(function (id) { return seen.indexOf(id) < 0; });
            if (!fresh.length) {
                // Forget tickets that left the alarm, so the store stays as small as the alarm.
                return [seen.length === ids.length ? noUpdate : ids.slice(), noUpdate];
            }
            beep();
            return [ids.slice(), {ticket: fresh[fresh.length - 1], at: Date.now()}];
        }
    });
})();
