// server/pgcatalog/catalog_tables_internal.cc: the column lists of the PostgreSQL 15 catalogs
// the shim creates and the built-in pg_type rows. Both were read from a PostgreSQL 15.18 server
// (pg_attribute of each catalog; pg_type for the types listed), with PostgreSQL types mapped to
// DuckDB's: oid/xid to BIGINT, name/text/"char"/regproc/pg_node_tree to VARCHAR, aclitem[] and
// text[] to VARCHAR[], oidvector to BIGINT[], int2vector to SMALLINT[].
#include "server/pgcatalog/catalog_tables_internal.h"

namespace medlake::server::pgcatalog::internal {

namespace {

constexpr CatalogSchema kPgCatalog = CatalogSchema::kPgCatalog;
constexpr CatalogSchema kInformationSchema = CatalogSchema::kInformationSchema;

constexpr CatalogTableDef kTables[] = {
    {kPgCatalog, "pg_aggregate",
     "aggfnoid VARCHAR, aggkind VARCHAR, aggnumdirectargs SMALLINT, aggtransfn VARCHAR, "
     "aggfinalfn VARCHAR, aggcombinefn VARCHAR, aggserialfn VARCHAR, aggdeserialfn VARCHAR, "
     "aggmtransfn VARCHAR, aggminvtransfn VARCHAR, aggmfinalfn VARCHAR, aggfinalextra BOOLEAN, "
     "aggmfinalextra BOOLEAN, aggfinalmodify VARCHAR, aggmfinalmodify VARCHAR, aggsortop BIGINT, "
     "aggtranstype BIGINT, aggtransspace INTEGER, aggmtranstype BIGINT, aggmtransspace INTEGER, "
     "agginitval VARCHAR, aggminitval VARCHAR"},
    {kPgCatalog, "pg_am",
     "oid BIGINT, amname VARCHAR, amhandler VARCHAR, amtype VARCHAR"},
    {kPgCatalog, "pg_attrdef",
     "oid BIGINT, adrelid BIGINT, adnum SMALLINT, adbin VARCHAR"},
    {kPgCatalog, "pg_attribute",
     "attrelid BIGINT, attname VARCHAR, atttypid BIGINT, attstattarget INTEGER, attlen SMALLINT, "
     "attnum SMALLINT, attndims INTEGER, attcacheoff INTEGER, atttypmod INTEGER, "
     "attbyval BOOLEAN, attalign VARCHAR, attstorage VARCHAR, attcompression VARCHAR, "
     "attnotnull BOOLEAN, atthasdef BOOLEAN, atthasmissing BOOLEAN, attidentity VARCHAR, "
     "attgenerated VARCHAR, attisdropped BOOLEAN, attislocal BOOLEAN, attinhcount INTEGER, "
     "attcollation BIGINT, attacl VARCHAR[], attoptions VARCHAR[], attfdwoptions VARCHAR[], "
     "attmissingval VARCHAR"},
    {kPgCatalog, "pg_auth_members",
     "roleid BIGINT, member BIGINT, grantor BIGINT, admin_option BOOLEAN"},
    {kPgCatalog, "pg_cast",
     "oid BIGINT, castsource BIGINT, casttarget BIGINT, castfunc BIGINT, castcontext VARCHAR, "
     "castmethod VARCHAR"},
    {kPgCatalog, "pg_class",
     "oid BIGINT, relname VARCHAR, relnamespace BIGINT, reltype BIGINT, reloftype BIGINT, "
     "relowner BIGINT, relam BIGINT, relfilenode BIGINT, reltablespace BIGINT, relpages INTEGER, "
     "reltuples FLOAT, relallvisible INTEGER, reltoastrelid BIGINT, relhasindex BOOLEAN, "
     "relisshared BOOLEAN, relpersistence VARCHAR, relkind VARCHAR, relnatts SMALLINT, "
     "relchecks SMALLINT, relhasrules BOOLEAN, relhastriggers BOOLEAN, relhassubclass BOOLEAN, "
     "relrowsecurity BOOLEAN, relforcerowsecurity BOOLEAN, relispopulated BOOLEAN, "
     "relreplident VARCHAR, relispartition BOOLEAN, relrewrite BIGINT, relfrozenxid BIGINT, "
     "relminmxid BIGINT, relacl VARCHAR[], reloptions VARCHAR[], relpartbound VARCHAR"},
    {kPgCatalog, "pg_collation",
     "oid BIGINT, collname VARCHAR, collnamespace BIGINT, collowner BIGINT, "
     "collprovider VARCHAR, collisdeterministic BOOLEAN, collencoding INTEGER, "
     "collcollate VARCHAR, collctype VARCHAR, colliculocale VARCHAR, collversion VARCHAR"},
    {kPgCatalog, "pg_constraint",
     "oid BIGINT, conname VARCHAR, connamespace BIGINT, contype VARCHAR, condeferrable BOOLEAN, "
     "condeferred BOOLEAN, convalidated BOOLEAN, conrelid BIGINT, contypid BIGINT, "
     "conindid BIGINT, conparentid BIGINT, confrelid BIGINT, confupdtype VARCHAR, "
     "confdeltype VARCHAR, confmatchtype VARCHAR, conislocal BOOLEAN, coninhcount INTEGER, "
     "connoinherit BOOLEAN, conkey SMALLINT[], confkey SMALLINT[], conpfeqop BIGINT[], "
     "conppeqop BIGINT[], conffeqop BIGINT[], confdelsetcols SMALLINT[], conexclop BIGINT[], "
     "conbin VARCHAR"},
    {kPgCatalog, "pg_conversion",
     "oid BIGINT, conname VARCHAR, connamespace BIGINT, conowner BIGINT, conforencoding INTEGER, "
     "contoencoding INTEGER, conproc VARCHAR, condefault BOOLEAN"},
    {kPgCatalog, "pg_database",
     "oid BIGINT, datname VARCHAR, datdba BIGINT, encoding INTEGER, datlocprovider VARCHAR, "
     "datistemplate BOOLEAN, datallowconn BOOLEAN, datconnlimit INTEGER, datfrozenxid BIGINT, "
     "datminmxid BIGINT, dattablespace BIGINT, datcollate VARCHAR, datctype VARCHAR, "
     "daticulocale VARCHAR, datcollversion VARCHAR, datacl VARCHAR[]"},
    {kPgCatalog, "pg_default_acl",
     "oid BIGINT, defaclrole BIGINT, defaclnamespace BIGINT, defaclobjtype VARCHAR, "
     "defaclacl VARCHAR[]"},
    {kPgCatalog, "pg_depend",
     "classid BIGINT, objid BIGINT, objsubid INTEGER, refclassid BIGINT, refobjid BIGINT, "
     "refobjsubid INTEGER, deptype VARCHAR"},
    {kPgCatalog, "pg_description",
     "objoid BIGINT, classoid BIGINT, objsubid INTEGER, description VARCHAR"},
    {kPgCatalog, "pg_enum",
     "oid BIGINT, enumtypid BIGINT, enumsortorder FLOAT, enumlabel VARCHAR"},
    {kPgCatalog, "pg_event_trigger",
     "oid BIGINT, evtname VARCHAR, evtevent VARCHAR, evtowner BIGINT, evtfoid BIGINT, "
     "evtenabled VARCHAR, evttags VARCHAR[]"},
    {kPgCatalog, "pg_extension",
     "oid BIGINT, extname VARCHAR, extowner BIGINT, extnamespace BIGINT, extrelocatable BOOLEAN, "
     "extversion VARCHAR, extconfig BIGINT[], extcondition VARCHAR[]"},
    {kPgCatalog, "pg_foreign_data_wrapper",
     "oid BIGINT, fdwname VARCHAR, fdwowner BIGINT, fdwhandler BIGINT, fdwvalidator BIGINT, "
     "fdwacl VARCHAR[], fdwoptions VARCHAR[]"},
    {kPgCatalog, "pg_foreign_server",
     "oid BIGINT, srvname VARCHAR, srvowner BIGINT, srvfdw BIGINT, srvtype VARCHAR, "
     "srvversion VARCHAR, srvacl VARCHAR[], srvoptions VARCHAR[]"},
    {kPgCatalog, "pg_foreign_table",
     "ftrelid BIGINT, ftserver BIGINT, ftoptions VARCHAR[]"},
    {kPgCatalog, "pg_index",
     "indexrelid BIGINT, indrelid BIGINT, indnatts SMALLINT, indnkeyatts SMALLINT, "
     "indisunique BOOLEAN, indnullsnotdistinct BOOLEAN, indisprimary BOOLEAN, "
     "indisexclusion BOOLEAN, indimmediate BOOLEAN, indisclustered BOOLEAN, indisvalid BOOLEAN, "
     "indcheckxmin BOOLEAN, indisready BOOLEAN, indislive BOOLEAN, indisreplident BOOLEAN, "
     "indkey SMALLINT[], indcollation BIGINT[], indclass BIGINT[], indoption SMALLINT[], "
     "indexprs VARCHAR, indpred VARCHAR"},
    {kPgCatalog, "pg_indexes",
     "schemaname VARCHAR, tablename VARCHAR, indexname VARCHAR, tablespace VARCHAR, "
     "indexdef VARCHAR"},
    {kPgCatalog, "pg_inherits",
     "inhrelid BIGINT, inhparent BIGINT, inhseqno INTEGER, inhdetachpending BOOLEAN"},
    {kPgCatalog, "pg_init_privs",
     "objoid BIGINT, classoid BIGINT, objsubid INTEGER, privtype VARCHAR, initprivs VARCHAR[]"},
    {kPgCatalog, "pg_language",
     "oid BIGINT, lanname VARCHAR, lanowner BIGINT, lanispl BOOLEAN, lanpltrusted BOOLEAN, "
     "lanplcallfoid BIGINT, laninline BIGINT, lanvalidator BIGINT, lanacl VARCHAR[]"},
    {kPgCatalog, "pg_largeobject_metadata",
     "oid BIGINT, lomowner BIGINT, lomacl VARCHAR[]"},
    {kPgCatalog, "pg_matviews",
     "schemaname VARCHAR, matviewname VARCHAR, matviewowner VARCHAR, tablespace VARCHAR, "
     "hasindexes BOOLEAN, ispopulated BOOLEAN, definition VARCHAR"},
    {kPgCatalog, "pg_namespace",
     "oid BIGINT, nspname VARCHAR, nspowner BIGINT, nspacl VARCHAR[]"},
    {kPgCatalog, "pg_opclass",
     "oid BIGINT, opcmethod BIGINT, opcname VARCHAR, opcnamespace BIGINT, opcowner BIGINT, "
     "opcfamily BIGINT, opcintype BIGINT, opcdefault BOOLEAN, opckeytype BIGINT"},
    {kPgCatalog, "pg_operator",
     "oid BIGINT, oprname VARCHAR, oprnamespace BIGINT, oprowner BIGINT, oprkind VARCHAR, "
     "oprcanmerge BOOLEAN, oprcanhash BOOLEAN, oprleft BIGINT, oprright BIGINT, "
     "oprresult BIGINT, oprcom BIGINT, oprnegate BIGINT, oprcode VARCHAR, oprrest VARCHAR, "
     "oprjoin VARCHAR"},
    {kPgCatalog, "pg_partitioned_table",
     "partrelid BIGINT, partstrat VARCHAR, partnatts SMALLINT, partdefid BIGINT, "
     "partattrs SMALLINT[], partclass BIGINT[], partcollation BIGINT[], partexprs VARCHAR"},
    {kPgCatalog, "pg_policy",
     "oid BIGINT, polname VARCHAR, polrelid BIGINT, polcmd VARCHAR, polpermissive BOOLEAN, "
     "polroles BIGINT[], polqual VARCHAR, polwithcheck VARCHAR"},
    {kPgCatalog, "pg_proc",
     "oid BIGINT, proname VARCHAR, pronamespace BIGINT, proowner BIGINT, prolang BIGINT, "
     "procost FLOAT, prorows FLOAT, provariadic BIGINT, prosupport VARCHAR, prokind VARCHAR, "
     "prosecdef BOOLEAN, proleakproof BOOLEAN, proisstrict BOOLEAN, proretset BOOLEAN, "
     "provolatile VARCHAR, proparallel VARCHAR, pronargs SMALLINT, pronargdefaults SMALLINT, "
     "prorettype BIGINT, proargtypes BIGINT[], proallargtypes BIGINT[], proargmodes VARCHAR[], "
     "proargnames VARCHAR[], proargdefaults VARCHAR, protrftypes BIGINT[], prosrc VARCHAR, "
     "probin VARCHAR, prosqlbody VARCHAR, proconfig VARCHAR[], proacl VARCHAR[]"},
    {kPgCatalog, "pg_publication",
     "oid BIGINT, pubname VARCHAR, pubowner BIGINT, puballtables BOOLEAN, pubinsert BOOLEAN, "
     "pubupdate BOOLEAN, pubdelete BOOLEAN, pubtruncate BOOLEAN, pubviaroot BOOLEAN"},
    {kPgCatalog, "pg_publication_namespace",
     "oid BIGINT, pnpubid BIGINT, pnnspid BIGINT"},
    {kPgCatalog, "pg_publication_rel",
     "oid BIGINT, prpubid BIGINT, prrelid BIGINT, prqual VARCHAR, prattrs SMALLINT[]"},
    {kPgCatalog, "pg_range",
     "rngtypid BIGINT, rngsubtype BIGINT, rngmultitypid BIGINT, rngcollation BIGINT, "
     "rngsubopc BIGINT, rngcanonical VARCHAR, rngsubdiff VARCHAR"},
    {kPgCatalog, "pg_rewrite",
     "oid BIGINT, rulename VARCHAR, ev_class BIGINT, ev_type VARCHAR, ev_enabled VARCHAR, "
     "is_instead BOOLEAN, ev_qual VARCHAR, ev_action VARCHAR"},
    {kPgCatalog, "pg_roles",
     "rolname VARCHAR, rolsuper BOOLEAN, rolinherit BOOLEAN, rolcreaterole BOOLEAN, "
     "rolcreatedb BOOLEAN, rolcanlogin BOOLEAN, rolreplication BOOLEAN, rolconnlimit INTEGER, "
     "rolpassword VARCHAR, rolvaliduntil TIMESTAMPTZ, rolbypassrls BOOLEAN, rolconfig VARCHAR[], "
     "oid BIGINT"},
    {kPgCatalog, "pg_sequence",
     "seqrelid BIGINT, seqtypid BIGINT, seqstart BIGINT, seqincrement BIGINT, seqmax BIGINT, "
     "seqmin BIGINT, seqcache BIGINT, seqcycle BOOLEAN"},
    {kPgCatalog, "pg_sequences",
     "schemaname VARCHAR, sequencename VARCHAR, sequenceowner VARCHAR, data_type VARCHAR, "
     "start_value BIGINT, min_value BIGINT, max_value BIGINT, increment_by BIGINT, "
     "cycle BOOLEAN, cache_size BIGINT, last_value BIGINT"},
    {kPgCatalog, "pg_settings",
     "name VARCHAR, setting VARCHAR, unit VARCHAR, category VARCHAR, short_desc VARCHAR, "
     "extra_desc VARCHAR, context VARCHAR, vartype VARCHAR, source VARCHAR, min_val VARCHAR, "
     "max_val VARCHAR, enumvals VARCHAR[], boot_val VARCHAR, reset_val VARCHAR, "
     "sourcefile VARCHAR, sourceline INTEGER, pending_restart BOOLEAN"},
    {kPgCatalog, "pg_shdescription",
     "objoid BIGINT, classoid BIGINT, description VARCHAR"},
    {kPgCatalog, "pg_stat_activity",
     "datid BIGINT, datname VARCHAR, pid INTEGER, leader_pid INTEGER, usesysid BIGINT, "
     "usename VARCHAR, application_name VARCHAR, client_addr VARCHAR, client_hostname VARCHAR, "
     "client_port INTEGER, backend_start TIMESTAMPTZ, xact_start TIMESTAMPTZ, "
     "query_start TIMESTAMPTZ, state_change TIMESTAMPTZ, wait_event_type VARCHAR, "
     "wait_event VARCHAR, state VARCHAR, backend_xid BIGINT, backend_xmin BIGINT, "
     "query_id BIGINT, query VARCHAR, backend_type VARCHAR"},
    {kPgCatalog, "pg_statistic_ext",
     "oid BIGINT, stxrelid BIGINT, stxname VARCHAR, stxnamespace BIGINT, stxowner BIGINT, "
     "stxstattarget INTEGER, stxkeys SMALLINT[], stxkind VARCHAR[], stxexprs VARCHAR"},
    {kPgCatalog, "pg_statistic_ext_data",
     "stxoid BIGINT, stxdinherit BOOLEAN, stxdndistinct VARCHAR, stxddependencies VARCHAR, "
     "stxdmcv VARCHAR, stxdexpr VARCHAR"},
    {kPgCatalog, "pg_subscription",
     "oid BIGINT, subdbid BIGINT, subskiplsn VARCHAR, subname VARCHAR, subowner BIGINT, "
     "subenabled BOOLEAN, subbinary BOOLEAN, substream BOOLEAN, subtwophasestate VARCHAR, "
     "subdisableonerr BOOLEAN, subconninfo VARCHAR, subslotname VARCHAR, subsynccommit VARCHAR, "
     "subpublications VARCHAR[]"},
    {kPgCatalog, "pg_tables",
     "schemaname VARCHAR, tablename VARCHAR, tableowner VARCHAR, tablespace VARCHAR, "
     "hasindexes BOOLEAN, hasrules BOOLEAN, hastriggers BOOLEAN, rowsecurity BOOLEAN"},
    {kPgCatalog, "pg_tablespace",
     "oid BIGINT, spcname VARCHAR, spcowner BIGINT, spcacl VARCHAR[], spcoptions VARCHAR[]"},
    {kPgCatalog, "pg_transform",
     "oid BIGINT, trftype BIGINT, trflang BIGINT, trffromsql VARCHAR, trftosql VARCHAR"},
    {kPgCatalog, "pg_trigger",
     "oid BIGINT, tgrelid BIGINT, tgparentid BIGINT, tgname VARCHAR, tgfoid BIGINT, "
     "tgtype SMALLINT, tgenabled VARCHAR, tgisinternal BOOLEAN, tgconstrrelid BIGINT, "
     "tgconstrindid BIGINT, tgconstraint BIGINT, tgdeferrable BOOLEAN, tginitdeferred BOOLEAN, "
     "tgnargs SMALLINT, tgattr SMALLINT[], tgargs VARCHAR, tgqual VARCHAR, tgoldtable VARCHAR, "
     "tgnewtable VARCHAR"},
    {kPgCatalog, "pg_type",
     "oid BIGINT, typname VARCHAR, typnamespace BIGINT, typowner BIGINT, typlen SMALLINT, "
     "typbyval BOOLEAN, typtype VARCHAR, typcategory VARCHAR, typispreferred BOOLEAN, "
     "typisdefined BOOLEAN, typdelim VARCHAR, typrelid BIGINT, typsubscript VARCHAR, "
     "typelem BIGINT, typarray BIGINT, typinput VARCHAR, typoutput VARCHAR, typreceive VARCHAR, "
     "typsend VARCHAR, typmodin VARCHAR, typmodout VARCHAR, typanalyze VARCHAR, "
     "typalign VARCHAR, typstorage VARCHAR, typnotnull BOOLEAN, typbasetype BIGINT, "
     "typtypmod INTEGER, typndims INTEGER, typcollation BIGINT, typdefaultbin VARCHAR, "
     "typdefault VARCHAR, typacl VARCHAR[]"},
    {kPgCatalog, "pg_user",
     "usename VARCHAR, usesysid BIGINT, usecreatedb BOOLEAN, usesuper BOOLEAN, userepl BOOLEAN, "
     "usebypassrls BOOLEAN, passwd VARCHAR, valuntil TIMESTAMPTZ, useconfig VARCHAR[]"},
    {kPgCatalog, "pg_user_mapping",
     "oid BIGINT, umuser BIGINT, umserver BIGINT, umoptions VARCHAR[]"},
    {kPgCatalog, "pg_views",
     "schemaname VARCHAR, viewname VARCHAR, viewowner VARCHAR, definition VARCHAR"},
    {kInformationSchema, "character_sets",
     "character_set_catalog VARCHAR, character_set_schema VARCHAR, character_set_name VARCHAR, "
     "character_repertoire VARCHAR, form_of_use VARCHAR, default_collate_catalog VARCHAR, "
     "default_collate_schema VARCHAR, default_collate_name VARCHAR"},
    {kInformationSchema, "columns",
     "table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR, "
     "ordinal_position INTEGER, column_default VARCHAR, is_nullable VARCHAR, data_type VARCHAR, "
     "character_maximum_length INTEGER, character_octet_length INTEGER, "
     "numeric_precision INTEGER, numeric_precision_radix INTEGER, numeric_scale INTEGER, "
     "datetime_precision INTEGER, interval_type VARCHAR, interval_precision INTEGER, "
     "character_set_catalog VARCHAR, character_set_schema VARCHAR, character_set_name VARCHAR, "
     "collation_catalog VARCHAR, collation_schema VARCHAR, collation_name VARCHAR, "
     "domain_catalog VARCHAR, domain_schema VARCHAR, domain_name VARCHAR, udt_catalog VARCHAR, "
     "udt_schema VARCHAR, udt_name VARCHAR, scope_catalog VARCHAR, scope_schema VARCHAR, "
     "scope_name VARCHAR, maximum_cardinality INTEGER, dtd_identifier VARCHAR, "
     "is_self_referencing VARCHAR, is_identity VARCHAR, identity_generation VARCHAR, "
     "identity_start VARCHAR, identity_increment VARCHAR, identity_maximum VARCHAR, "
     "identity_minimum VARCHAR, identity_cycle VARCHAR, is_generated VARCHAR, "
     "generation_expression VARCHAR, is_updatable VARCHAR"},
    {kInformationSchema, "key_column_usage",
     "constraint_catalog VARCHAR, constraint_schema VARCHAR, constraint_name VARCHAR, "
     "table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR, "
     "ordinal_position INTEGER, position_in_unique_constraint INTEGER"},
    {kInformationSchema, "parameters",
     "specific_catalog VARCHAR, specific_schema VARCHAR, specific_name VARCHAR, "
     "ordinal_position INTEGER, parameter_mode VARCHAR, is_result VARCHAR, as_locator VARCHAR, "
     "parameter_name VARCHAR, data_type VARCHAR, character_maximum_length INTEGER, "
     "character_octet_length INTEGER, character_set_catalog VARCHAR, "
     "character_set_schema VARCHAR, character_set_name VARCHAR, collation_catalog VARCHAR, "
     "collation_schema VARCHAR, collation_name VARCHAR, numeric_precision INTEGER, "
     "numeric_precision_radix INTEGER, numeric_scale INTEGER, datetime_precision INTEGER, "
     "interval_type VARCHAR, interval_precision INTEGER, udt_catalog VARCHAR, "
     "udt_schema VARCHAR, udt_name VARCHAR, scope_catalog VARCHAR, scope_schema VARCHAR, "
     "scope_name VARCHAR, maximum_cardinality INTEGER, dtd_identifier VARCHAR, "
     "parameter_default VARCHAR"},
    {kInformationSchema, "referential_constraints",
     "constraint_catalog VARCHAR, constraint_schema VARCHAR, constraint_name VARCHAR, "
     "unique_constraint_catalog VARCHAR, unique_constraint_schema VARCHAR, "
     "unique_constraint_name VARCHAR, match_option VARCHAR, update_rule VARCHAR, "
     "delete_rule VARCHAR"},
    {kInformationSchema, "routines",
     "specific_catalog VARCHAR, specific_schema VARCHAR, specific_name VARCHAR, "
     "routine_catalog VARCHAR, routine_schema VARCHAR, routine_name VARCHAR, "
     "routine_type VARCHAR, module_catalog VARCHAR, module_schema VARCHAR, module_name VARCHAR, "
     "udt_catalog VARCHAR, udt_schema VARCHAR, udt_name VARCHAR, data_type VARCHAR, "
     "character_maximum_length INTEGER, character_octet_length INTEGER, "
     "character_set_catalog VARCHAR, character_set_schema VARCHAR, character_set_name VARCHAR, "
     "collation_catalog VARCHAR, collation_schema VARCHAR, collation_name VARCHAR, "
     "numeric_precision INTEGER, numeric_precision_radix INTEGER, numeric_scale INTEGER, "
     "datetime_precision INTEGER, interval_type VARCHAR, interval_precision INTEGER, "
     "type_udt_catalog VARCHAR, type_udt_schema VARCHAR, type_udt_name VARCHAR, "
     "scope_catalog VARCHAR, scope_schema VARCHAR, scope_name VARCHAR, "
     "maximum_cardinality INTEGER, dtd_identifier VARCHAR, routine_body VARCHAR, "
     "routine_definition VARCHAR, external_name VARCHAR, external_language VARCHAR, "
     "parameter_style VARCHAR, is_deterministic VARCHAR, sql_data_access VARCHAR, "
     "is_null_call VARCHAR, sql_path VARCHAR, schema_level_routine VARCHAR, "
     "max_dynamic_result_sets INTEGER, is_user_defined_cast VARCHAR, "
     "is_implicitly_invocable VARCHAR, security_type VARCHAR, to_sql_specific_catalog VARCHAR, "
     "to_sql_specific_schema VARCHAR, to_sql_specific_name VARCHAR, as_locator VARCHAR, "
     "created VARCHAR, last_altered VARCHAR, new_savepoint_level VARCHAR, "
     "is_udt_dependent VARCHAR, result_cast_from_data_type VARCHAR, "
     "result_cast_as_locator VARCHAR, result_cast_char_max_length INTEGER, "
     "result_cast_char_octet_length INTEGER, result_cast_char_set_catalog VARCHAR, "
     "result_cast_char_set_schema VARCHAR, result_cast_char_set_name VARCHAR, "
     "result_cast_collation_catalog VARCHAR, result_cast_collation_schema VARCHAR, "
     "result_cast_collation_name VARCHAR, result_cast_numeric_precision INTEGER, "
     "result_cast_numeric_precision_radix INTEGER, result_cast_numeric_scale INTEGER, "
     "result_cast_datetime_precision INTEGER, result_cast_interval_type VARCHAR, "
     "result_cast_interval_precision INTEGER, result_cast_type_udt_catalog VARCHAR, "
     "result_cast_type_udt_schema VARCHAR, result_cast_type_udt_name VARCHAR, "
     "result_cast_scope_catalog VARCHAR, result_cast_scope_schema VARCHAR, "
     "result_cast_scope_name VARCHAR, result_cast_maximum_cardinality INTEGER, "
     "result_cast_dtd_identifier VARCHAR"},
    {kInformationSchema, "schemata",
     "catalog_name VARCHAR, schema_name VARCHAR, schema_owner VARCHAR, "
     "default_character_set_catalog VARCHAR, default_character_set_schema VARCHAR, "
     "default_character_set_name VARCHAR, sql_path VARCHAR"},
    {kInformationSchema, "table_constraints",
     "constraint_catalog VARCHAR, constraint_schema VARCHAR, constraint_name VARCHAR, "
     "table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, constraint_type VARCHAR, "
     "is_deferrable VARCHAR, initially_deferred VARCHAR, enforced VARCHAR, nulls_distinct VARCHAR"},
    {kInformationSchema, "table_privileges",
     "grantor VARCHAR, grantee VARCHAR, table_catalog VARCHAR, table_schema VARCHAR, "
     "table_name VARCHAR, privilege_type VARCHAR, is_grantable VARCHAR, with_hierarchy VARCHAR"},
    {kInformationSchema, "tables",
     "table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, table_type VARCHAR, "
     "self_referencing_column_name VARCHAR, reference_generation VARCHAR, "
     "user_defined_type_catalog VARCHAR, user_defined_type_schema VARCHAR, "
     "user_defined_type_name VARCHAR, is_insertable_into VARCHAR, is_typed VARCHAR, "
     "commit_action VARCHAR"},
    {kInformationSchema, "views",
     "table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, view_definition VARCHAR, "
     "check_option VARCHAR, is_updatable VARCHAR, is_insertable_into VARCHAR, "
     "is_trigger_updatable VARCHAR, is_trigger_deletable VARCHAR, "
     "is_trigger_insertable_into VARCHAR"},
};

constexpr PgTypeRow kTypes[] = {
    {16, "bool", "boolean", 1, true, 0, 'b', 'B', 1000, 0,
     "boolin", "boolout", "boolrecv", "boolsend"},
    {17, "bytea", "bytea", -1, false, 0, 'b', 'U', 1001, 0,
     "byteain", "byteaout", "bytearecv", "byteasend"},
    {18, "char", "\"char\"", 1, true, 0, 'b', 'Z', 1002, 0,
     "charin", "charout", "charrecv", "charsend"},
    {19, "name", "name", 64, false, 18, 'b', 'S', 1003, 950,
     "namein", "nameout", "namerecv", "namesend"},
    {20, "int8", "bigint", 8, true, 0, 'b', 'N', 1016, 0,
     "int8in", "int8out", "int8recv", "int8send"},
    {21, "int2", "smallint", 2, true, 0, 'b', 'N', 1005, 0,
     "int2in", "int2out", "int2recv", "int2send"},
    {22, "int2vector", "int2vector", -1, false, 21, 'b', 'A', 1006, 0,
     "int2vectorin", "int2vectorout", "int2vectorrecv", "int2vectorsend"},
    {23, "int4", "integer", 4, true, 0, 'b', 'N', 1007, 0,
     "int4in", "int4out", "int4recv", "int4send"},
    {24, "regproc", "regproc", 4, true, 0, 'b', 'N', 1008, 0,
     "regprocin", "regprocout", "regprocrecv", "regprocsend"},
    {25, "text", "text", -1, false, 0, 'b', 'S', 1009, 100,
     "textin", "textout", "textrecv", "textsend"},
    {26, "oid", "oid", 4, true, 0, 'b', 'N', 1028, 0,
     "oidin", "oidout", "oidrecv", "oidsend"},
    {27, "tid", "tid", 6, false, 0, 'b', 'U', 1010, 0,
     "tidin", "tidout", "tidrecv", "tidsend"},
    {28, "xid", "xid", 4, true, 0, 'b', 'U', 1011, 0,
     "xidin", "xidout", "xidrecv", "xidsend"},
    {29, "cid", "cid", 4, true, 0, 'b', 'U', 1012, 0,
     "cidin", "cidout", "cidrecv", "cidsend"},
    {30, "oidvector", "oidvector", -1, false, 26, 'b', 'A', 1013, 0,
     "oidvectorin", "oidvectorout", "oidvectorrecv", "oidvectorsend"},
    {114, "json", "json", -1, false, 0, 'b', 'U', 199, 0,
     "json_in", "json_out", "json_recv", "json_send"},
    {142, "xml", "xml", -1, false, 0, 'b', 'U', 143, 0,
     "xml_in", "xml_out", "xml_recv", "xml_send"},
    {143, "_xml", "xml[]", -1, false, 142, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {194, "pg_node_tree", "pg_node_tree", -1, false, 0, 'b', 'Z', 0, 100,
     "pg_node_tree_in", "pg_node_tree_out", "pg_node_tree_recv", "pg_node_tree_send"},
    {199, "_json", "json[]", -1, false, 114, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {700, "float4", "real", 4, true, 0, 'b', 'N', 1021, 0,
     "float4in", "float4out", "float4recv", "float4send"},
    {701, "float8", "double precision", 8, true, 0, 'b', 'N', 1022, 0,
     "float8in", "float8out", "float8recv", "float8send"},
    {705, "unknown", "unknown", -2, false, 0, 'p', 'X', 0, 0,
     "unknownin", "unknownout", "unknownrecv", "unknownsend"},
    {790, "money", "money", 8, true, 0, 'b', 'N', 791, 0,
     "cash_in", "cash_out", "cash_recv", "cash_send"},
    {791, "_money", "money[]", -1, false, 790, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {869, "inet", "inet", -1, false, 0, 'b', 'I', 1041, 0,
     "inet_in", "inet_out", "inet_recv", "inet_send"},
    {1000, "_bool", "boolean[]", -1, false, 16, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1001, "_bytea", "bytea[]", -1, false, 17, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1002, "_char", "\"char\"[]", -1, false, 18, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1003, "_name", "name[]", -1, false, 19, 'b', 'A', 0, 950,
     "array_in", "array_out", "array_recv", "array_send"},
    {1005, "_int2", "smallint[]", -1, false, 21, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1006, "_int2vector", "int2vector[]", -1, false, 22, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1007, "_int4", "integer[]", -1, false, 23, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1008, "_regproc", "regproc[]", -1, false, 24, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1009, "_text", "text[]", -1, false, 25, 'b', 'A', 0, 100,
     "array_in", "array_out", "array_recv", "array_send"},
    {1010, "_tid", "tid[]", -1, false, 27, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1011, "_xid", "xid[]", -1, false, 28, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1012, "_cid", "cid[]", -1, false, 29, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1013, "_oidvector", "oidvector[]", -1, false, 30, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1014, "_bpchar", "character[]", -1, false, 1042, 'b', 'A', 0, 100,
     "array_in", "array_out", "array_recv", "array_send"},
    {1015, "_varchar", "character varying[]", -1, false, 1043, 'b', 'A', 0, 100,
     "array_in", "array_out", "array_recv", "array_send"},
    {1016, "_int8", "bigint[]", -1, false, 20, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1021, "_float4", "real[]", -1, false, 700, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1022, "_float8", "double precision[]", -1, false, 701, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1028, "_oid", "oid[]", -1, false, 26, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1033, "aclitem", "aclitem", 12, false, 0, 'b', 'U', 1034, 0,
     "aclitemin", "aclitemout", "-", "-"},
    {1034, "_aclitem", "aclitem[]", -1, false, 1033, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1041, "_inet", "inet[]", -1, false, 869, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1042, "bpchar", "character", -1, false, 0, 'b', 'S', 1014, 100,
     "bpcharin", "bpcharout", "bpcharrecv", "bpcharsend"},
    {1043, "varchar", "character varying", -1, false, 0, 'b', 'S', 1015, 100,
     "varcharin", "varcharout", "varcharrecv", "varcharsend"},
    {1082, "date", "date", 4, true, 0, 'b', 'D', 1182, 0,
     "date_in", "date_out", "date_recv", "date_send"},
    {1083, "time", "time without time zone", 8, true, 0, 'b', 'D', 1183, 0,
     "time_in", "time_out", "time_recv", "time_send"},
    {1114, "timestamp", "timestamp without time zone", 8, true, 0, 'b', 'D', 1115, 0,
     "timestamp_in", "timestamp_out", "timestamp_recv", "timestamp_send"},
    {1115, "_timestamp", "timestamp without time zone[]", -1, false, 1114, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1182, "_date", "date[]", -1, false, 1082, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1183, "_time", "time without time zone[]", -1, false, 1083, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1184, "timestamptz", "timestamp with time zone", 8, true, 0, 'b', 'D', 1185, 0,
     "timestamptz_in", "timestamptz_out", "timestamptz_recv", "timestamptz_send"},
    {1185, "_timestamptz", "timestamp with time zone[]", -1, false, 1184, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1186, "interval", "interval", 16, false, 0, 'b', 'T', 1187, 0,
     "interval_in", "interval_out", "interval_recv", "interval_send"},
    {1187, "_interval", "interval[]", -1, false, 1186, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1231, "_numeric", "numeric[]", -1, false, 1700, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1263, "_cstring", "cstring[]", -1, false, 2275, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1266, "timetz", "time with time zone", 12, false, 0, 'b', 'D', 1270, 0,
     "timetz_in", "timetz_out", "timetz_recv", "timetz_send"},
    {1270, "_timetz", "time with time zone[]", -1, false, 1266, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1560, "bit", "bit", -1, false, 0, 'b', 'V', 1561, 0,
     "bit_in", "bit_out", "bit_recv", "bit_send"},
    {1561, "_bit", "bit[]", -1, false, 1560, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1562, "varbit", "bit varying", -1, false, 0, 'b', 'V', 1563, 0,
     "varbit_in", "varbit_out", "varbit_recv", "varbit_send"},
    {1563, "_varbit", "bit varying[]", -1, false, 1562, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {1700, "numeric", "numeric", -1, false, 0, 'b', 'N', 1231, 0,
     "numeric_in", "numeric_out", "numeric_recv", "numeric_send"},
    {2202, "regprocedure", "regprocedure", 4, true, 0, 'b', 'N', 2207, 0,
     "regprocedurein", "regprocedureout", "regprocedurerecv", "regproceduresend"},
    {2203, "regoper", "regoper", 4, true, 0, 'b', 'N', 2208, 0,
     "regoperin", "regoperout", "regoperrecv", "regopersend"},
    {2205, "regclass", "regclass", 4, true, 0, 'b', 'N', 2210, 0,
     "regclassin", "regclassout", "regclassrecv", "regclasssend"},
    {2206, "regtype", "regtype", 4, true, 0, 'b', 'N', 2211, 0,
     "regtypein", "regtypeout", "regtyperecv", "regtypesend"},
    {2207, "_regprocedure", "regprocedure[]", -1, false, 2202, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {2208, "_regoper", "regoper[]", -1, false, 2203, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {2210, "_regclass", "regclass[]", -1, false, 2205, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {2211, "_regtype", "regtype[]", -1, false, 2206, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {2249, "record", "record", -1, false, 0, 'p', 'P', 2287, 0,
     "record_in", "record_out", "record_recv", "record_send"},
    {2275, "cstring", "cstring", -2, false, 0, 'p', 'P', 1263, 0,
     "cstring_in", "cstring_out", "cstring_recv", "cstring_send"},
    {2276, "any", "\"any\"", 4, true, 0, 'p', 'P', 0, 0,
     "any_in", "any_out", "-", "-"},
    {2277, "anyarray", "anyarray", -1, false, 0, 'p', 'P', 0, 0,
     "anyarray_in", "anyarray_out", "anyarray_recv", "anyarray_send"},
    {2278, "void", "void", 4, true, 0, 'p', 'P', 0, 0,
     "void_in", "void_out", "void_recv", "void_send"},
    {2279, "trigger", "trigger", 4, true, 0, 'p', 'P', 0, 0,
     "trigger_in", "trigger_out", "-", "-"},
    {2283, "anyelement", "anyelement", 4, true, 0, 'p', 'P', 0, 0,
     "anyelement_in", "anyelement_out", "-", "-"},
    {2287, "_record", "record[]", -1, false, 2249, 'p', 'P', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {2950, "uuid", "uuid", 16, false, 0, 'b', 'U', 2951, 0,
     "uuid_in", "uuid_out", "uuid_recv", "uuid_send"},
    {2951, "_uuid", "uuid[]", -1, false, 2950, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {3220, "pg_lsn", "pg_lsn", 8, true, 0, 'b', 'U', 3221, 0,
     "pg_lsn_in", "pg_lsn_out", "pg_lsn_recv", "pg_lsn_send"},
    {3221, "_pg_lsn", "pg_lsn[]", -1, false, 3220, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {3802, "jsonb", "jsonb", -1, false, 0, 'b', 'U', 3807, 0,
     "jsonb_in", "jsonb_out", "jsonb_recv", "jsonb_send"},
    {3807, "_jsonb", "jsonb[]", -1, false, 3802, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {3904, "int4range", "int4range", -1, false, 0, 'r', 'R', 3905, 0,
     "range_in", "range_out", "range_recv", "range_send"},
    {3905, "_int4range", "int4range[]", -1, false, 3904, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {4089, "regnamespace", "regnamespace", 4, true, 0, 'b', 'N', 4090, 0,
     "regnamespacein", "regnamespaceout", "regnamespacerecv", "regnamespacesend"},
    {4090, "_regnamespace", "regnamespace[]", -1, false, 4089, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
    {4096, "regrole", "regrole", 4, true, 0, 'b', 'N', 4097, 0,
     "regrolein", "regroleout", "regrolerecv", "regrolesend"},
    {4097, "_regrole", "regrole[]", -1, false, 4096, 'b', 'A', 0, 0,
     "array_in", "array_out", "array_recv", "array_send"},
};

}  // namespace

std::span<const CatalogTableDef> CatalogTableDefs() { return kTables; }

std::span<const PgTypeRow> BuiltinPgTypes() { return kTypes; }

}  // namespace medlake::server::pgcatalog::internal
