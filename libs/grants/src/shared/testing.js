"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.given = given;
const node_assert_1 = require("node:assert");
const decider_1 = require("./decider");
function given(decider, events = []) {
    const state = () => (0, decider_1.fold)(decider, events);
    return {
        thenState(expected) {
            (0, node_assert_1.deepStrictEqual)(state(), expected);
        },
        when(command) {
            return {
                then(expected) {
                    (0, node_assert_1.deepStrictEqual)(decider.decide(command, state()), expected);
                },
                thenThrows(errorClass) {
                    const current = state();
                    let produced;
                    try {
                        produced = decider.decide(command, current);
                    }
                    catch (error) {
                        if (error instanceof errorClass)
                            return error;
                        throw new node_assert_1.AssertionError({
                            message: `Expected ${errorClass.name} but ${describeError(error)} was thrown`,
                            actual: error,
                            expected: errorClass,
                        });
                    }
                    throw new node_assert_1.AssertionError({
                        message: `Expected ${errorClass.name} but decide returned ${JSON.stringify(produced)}`,
                        actual: produced,
                        expected: errorClass,
                    });
                },
            };
        },
    };
}
function describeError(error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error);
}
//# sourceMappingURL=testing.js.map