"""A Terraform-style sequence through the `openstack` CLI (password auth, as the admin)
against `fake-cinder serve`: volume types with properties, QoS specs and their
association, a private type shared with a project, a volume of a type, a retype with
migration policy never, quota classes, then everything removed again.
conformance/scenarios_types.py compares the same API calls with Cinder 29."""

from __future__ import annotations

from tests.helpers.clients import PASSWORD_SETUP, client_env, readme_exports, serve_process

from .test_openstackclient import OpenstackCli


def test_types_qos_and_retype_through_the_openstack_cli(tmp_path):
    with serve_process(tmp_path) as served:
        env = readme_exports(PASSWORD_SETUP, served.url)
        env.update(OS_USERNAME="admin", OS_PASSWORD="admin", OS_PROJECT_NAME="admin")
        cli = OpenstackCli(client_env(**env))
        try:
            gold = cli.json("volume type create --multiattach "
                            "--property tier=gold --description Gold gold")
            assert gold["properties"] == {"multiattach": "<is> True", "tier": "gold"}
            cli.json("volume type create silver")
            assert cli.call("volume type unset --property tier gold") == ""
            assert cli.json("volume type show gold")["properties"] == {
                "multiattach": "<is> True"}

            qos = cli.json("volume qos create --consumer front-end "
                           "--property total_iops_sec=1000 fast")
            assert (qos["consumer"], qos["properties"]) == ("front-end",
                                                            {"total_iops_sec": "1000"})
            assert cli.call("volume qos associate fast gold") == ""
            shown = cli.json("volume qos show fast")
            assert shown["associations"] == ["gold"]
            assert cli.call("volume qos set --property read_iops_sec=5 fast") == ""
            assert cli.call("volume qos unset --property total_iops_sec fast") == ""
            assert cli.json("volume qos show fast")["properties"] == {"read_iops_sec": "5"}

            secret = cli.json("volume type create --private secret")
            assert secret["is_public"] is False
            assert cli.call("volume type set --project demo secret") == ""
            shared = cli.json("volume type show secret")
            assert shared["access_project_ids"] == ["demo"]

            volume = cli.json("volume create --type gold --size 1 data")
            assert volume["type"] == "gold"
            # The option Terraform-era scripts use; the CLI says it is deprecated, no more.
            output = cli.call("volume set --retype-policy never --type silver data")
            assert "'--retype-policy' option has been deprecated" in output
            assert "rror" not in output
            assert cli.json("volume show data")["type"] == "silver"

            assert cli.call("quota set --default --volumes 20") == ""
            defaults = cli.json("quota show --default --volume")
            assert {row["Resource"]: row["Limit"] for row in defaults}["volumes"] == 20

            assert cli.call("volume delete data") == ""
            assert cli.call("volume qos disassociate --all fast") == ""
            assert cli.call("volume qos delete fast") == ""
            assert cli.call("volume type unset --project demo secret") == ""
            assert cli.call("volume type delete secret gold") == ""
            names = {t["Name"] for t in cli.json("volume type list")}
            assert "gold" not in names and "silver" in names
        finally:
            cli.close()
